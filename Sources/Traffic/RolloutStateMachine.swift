/// One route's rollouts (docs/rollouts.md): starts them, holds each step, judges every
/// second, advances when a hold is over and the step has enough evidence, promotes at 100%, and
/// reverts at once on a regression or a target pool without a healthy backend. A revert is
/// latched: nothing re-promotes on its own. Pure: time comes in as `now` (milliseconds of a
/// monotonic clock), evidence as counters, decisions go out as actions. The progress and the
/// judge's state are plain values to persist after every call; restored, the machine resumes the
/// same step with the same held time and evidence.
public struct RolloutStateMachine: Sendable {
    /// The most hold time one tick may add: a late or missing tick (a stall, a restart) never
    /// counts as held time it did not judge.
    public static let maxTickMs = 2_000

    /// The pool that serves production traffic between rollouts.
    public private(set) var stable: Pool
    /// The current or last rollout; nil before the first.
    public private(set) var rollout: RolloutProgress?
    private var judge: Judge?
    /// The stable pool's last 60 s of latencies: the judge's reference.
    private var window = ReferenceWindow()
    /// The time of the last tick (or start, or resume) since this process began.
    private var lastTickMs: Int?

    /// A machine with no rollout yet for a route whose stable pool is `stable`.
    public init(stable: Pool) {
        self.stable = stable
    }

    /// Restores a persisted machine: the stable pool, the last rollout and its judge's state.
    /// Nil when they do not fit together (a rollout without judge state or the reverse, a stable
    /// pool that contradicts the rollout, an invalid progress or judge state). The first tick
    /// after a restore adds no held time.
    public init?(stable: Pool, rollout: RolloutProgress?, judge: JudgeState?) {
        self.stable = stable
        guard let rollout, let judge else {
            guard rollout == nil, judge == nil else { return nil }
            return
        }
        guard rollout.isValid, stable == (rollout.state == .promoted ? rollout.target : rollout.target.other),
              let restored = Judge(settings: rollout.judgeSettings, state: judge)
        else { return nil }
        self.rollout = rollout
        self.judge = restored
    }

    /// Where the rollout stands (`idle` before the first).
    public var state: RolloutState {
        rollout?.state ?? .idle
    }

    /// The judge's evidence, to persist with `rollout`; nil before the first rollout.
    public var judgeState: JudgeState? {
        judge?.state
    }

    /// The judge's figures for status output; nil before the first rollout.
    public var judgeStatus: JudgeStatus? {
        judge?.status
    }

    /// Carries out an operator's command at time `now` (a resume also puts the step's weights
    /// back). Throws, changing nothing, when the command does not apply: start during a
    /// rollout or to the stable pool; pause unless running; resume unless paused; promote or
    /// abort unless running or paused; rollback unless promoted.
    public mutating func handle(_ command: RolloutCommand, now: Int) throws(RolloutRefusal) -> [RolloutAction] {
        let conflict = RolloutRefusal.conflict(command: command.name, state: state)
        switch command {
        case .start(let plan, let target, let analysis):
            guard !state.isActive else { throw conflict }
            guard target != stable else { throw .targetIsStable(target) }
            let progress = RolloutProgress(state: .running, target: target, plan: plan, analysis: analysis)
            rollout = progress
            judge = Judge(settings: progress.judgeSettings, reference: window.sum)
            lastTickMs = now
            return [.started(target: target, plan: plan), .setWeight(green: progress.greenWeight)]
        case .pause:
            guard state == .running else { throw conflict }
            rollout?.state = .paused
            return [.paused]
        case .resume:
            guard state == .paused else { throw conflict }
            rollout?.state = .running
            lastTickMs = now
            // Weights forced by hand while paused give way to the step's again.
            return [.resumed, .setWeight(green: rollout?.greenWeight ?? .zero)]
        case .promote:
            guard state.isActive else { throw conflict }
            return advance()
        case .abort:
            guard state.isActive else { throw conflict }
            return end(.aborted)
        case .rollback:
            guard state == .promoted else { throw conflict }
            stable = stable.other
            return end(.rolledBack)
        }
    }

    /// Runs once a second with the second's counters of both pools and whether the target pool
    /// has a healthy backend. Feeds the reference window in every state; during a rollout,
    /// judges the second (and hands the judge the window as its reference while it has none,
    /// when a rollout started without traffic before it), reverts on a regression or an
    /// unhealthy target (paused included),
    /// counts the step's requests and, while running, the held time, and advances when the hold
    /// is over with at least `minRequests` target requests in the step, or says once that the
    /// hold is extended.
    public mutating func tick(now: Int, evidence: SecondEvidence, targetHealthy: Bool) -> [RolloutAction] {
        let elapsed = lastTickMs.map { min(max(now - $0, 0), Self.maxTickMs) } ?? 0
        lastTickMs = now
        guard var progress = rollout, progress.state.isActive,
              let status = judge?.observe(target: evidence[progress.target], stable: evidence[stable])
        else {
            window.push(evidence[stable].latency)
            return []
        }
        window.push(evidence[stable].latency)
        if judge?.reference.count == 0, window.sum.count > 0 {
            judge?.setReference(window.sum)
        }
        if !targetHealthy {
            return end(.targetUnhealthy)
        }
        if let verdict = status.verdict {
            return end(.regression(verdict.test))
        }
        progress.stepRequests += evidence[progress.target].requests
        if progress.state == .running {
            progress.heldMs += elapsed
        }
        rollout = progress
        guard progress.state == .running, progress.holdLeftMs == 0 else { return [] }
        if progress.stepRequests >= progress.analysis.minRequests {
            return advance()
        }
        guard !progress.holdExtended else { return [] }
        rollout?.holdExtended = true
        return [.holdExtended(step: progress.step, requests: progress.stepRequests, needed: progress.analysis.minRequests)]
    }

    /// Moves an active rollout to its next step with a fresh hold and request count and the
    /// stable pool's last 60 s as the judge's reference, or promotes it from the last step below
    /// 100%.
    private mutating func advance() -> [RolloutAction] {
        guard var progress = rollout else { return [] }
        progress.step += 1
        progress.heldMs = 0
        progress.stepRequests = 0
        progress.holdExtended = false
        if progress.step == progress.plan.steps.count - 1 {
            progress.state = .promoted
            stable = progress.target
            rollout = progress
            return [.setWeight(green: progress.greenWeight), .promoted(stable: stable)]
        }
        rollout = progress
        if window.sum.count > 0 {
            judge?.setReference(window.sum)
        }
        return [.setWeight(green: progress.greenWeight), .advanced(step: progress.step, weight: progress.targetWeight)]
    }

    /// Ends the rollout for `reason`: reverted, or aborted by an operator; the target's weight
    /// goes to 0 (after a rollback, the old stable pool, already `stable` again, gets 100%).
    private mutating func end(_ reason: RevertReason) -> [RolloutAction] {
        guard var progress = rollout, let judge else { return [] }
        progress.state = reason == .aborted ? .aborted : .reverted
        progress.reason = reason
        rollout = progress
        return [
            .setWeight(green: progress.greenWeight),
            .reverted(reason, target: progress.target, figures: judge.status),
        ]
    }
}
