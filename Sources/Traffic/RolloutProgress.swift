/// A rollout's progress as plain values: what the state dir keeps (with the judge's
/// `JudgeState`) so that a restarted Sluice resumes the same step, with the time already held
/// and the requests already seen, and never jumps ahead.
public struct RolloutProgress: Hashable, Sendable {
    /// Never `idle`.
    public var state: RolloutState
    /// The pool being rolled out.
    public var target: Pool
    public var plan: RolloutPlan
    /// The margins the rollout is judged with and the requests a step needs.
    public var analysis: AnalysisConfig
    /// Index into `plan.steps` of the step being held (the last one once promoted).
    public var step: Int
    /// Time held in this step so far, in milliseconds; does not grow while paused.
    public var heldMs: Int
    /// Requests the target served in this step.
    public var stepRequests: Int
    /// The hold is over but the step has fewer than `analysis.minRequests` requests: it is
    /// extended until it has them.
    public var holdExtended: Bool
    /// Why the target lost its traffic, once reverted or aborted.
    public var reason: RevertReason?

    public init(
        state: RolloutState, target: Pool, plan: RolloutPlan, analysis: AnalysisConfig, step: Int = 0, heldMs: Int = 0,
        stepRequests: Int = 0, holdExtended: Bool = false, reason: RevertReason? = nil
    ) {
        self.state = state
        self.target = target
        self.plan = plan
        self.analysis = analysis
        self.step = step
        self.heldMs = heldMs
        self.stepRequests = stepRequests
        self.holdExtended = holdExtended
        self.reason = reason
    }

    /// The target's weight: the step's while running or paused, 100% once promoted, 0 once
    /// reverted or aborted.
    public var targetWeight: Weight {
        switch state {
        case .running, .paused: plan.steps[step]
        case .promoted: .full
        case .idle, .reverted, .aborted: .zero
        }
    }

    /// Green's weight (what a route stores) for `targetWeight`.
    public var greenWeight: Weight {
        target == .green ? targetWeight : targetWeight.complement
    }

    /// What is left of the step's hold, in milliseconds (0 once over or once the rollout ended).
    public var holdLeftMs: Int {
        state.isActive ? max(0, plan.holdsMs[step] - heldMs) : 0
    }

    /// Whether the progress is consistent: a state other than idle, a step below 100% while
    /// active, non-negative figures. Restoring checks it.
    public var isValid: Bool {
        state != .idle && plan.steps.indices.contains(step) && (!state.isActive || step < plan.holdsMs.count)
            && heldMs >= 0 && stepRequests >= 0
    }

    /// The judge settings of this rollout: its margins.
    var judgeSettings: JudgeSettings {
        JudgeSettings(analysis: analysis)
    }
}
