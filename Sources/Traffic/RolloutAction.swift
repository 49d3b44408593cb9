/// What the rollout state machine asks the shell to do or record: change the split, and the
/// events of the audit log (each action's `description` is the event's message).
public enum RolloutAction: Hashable, Sendable, CustomStringConvertible {
    /// Set the route's green weight now, in every worker.
    case setWeight(green: Weight)
    /// A rollout of `target` along `plan` began.
    case started(target: Pool, plan: RolloutPlan)
    /// The rollout moved to step `step` (0-based), where the target gets `weight`.
    case advanced(step: Int, weight: Weight)
    /// The hold of `step` is over but the target served only `requests` of the `needed`
    /// requests: the hold goes on until it has them.
    case holdExtended(step: Int, requests: Int, needed: Int)
    case paused
    case resumed
    /// The target reached 100% and became the stable pool.
    case promoted(stable: Pool)
    /// The target lost its traffic for `reason`; `figures` are the judge's at that moment.
    case reverted(RevertReason, target: Pool, figures: JudgeStatus)

    public var description: String {
        switch self {
        case .setWeight(let green):
            "green weight \(green.percentText)%"
        case .started(let target, let plan):
            "rollout of \(target.name) started: " + plan.steps.map { "\($0.percentText)%" }.joined(separator: " → ")
        case .advanced(let step, let weight):
            "step \(step + 1): target at \(weight.percentText)%"
        case .holdExtended(let step, let requests, let needed):
            "hold of step \(step + 1) extended: too few requests (\(requests) of \(needed))"
        case .paused:
            "rollout paused (auto-revert stays armed)"
        case .resumed:
            "rollout resumed"
        case .promoted(let stable):
            "promoted: \(stable.name) is stable"
        case .reverted(let reason, let target, let figures):
            "\(target.name) reverted: \(reason)" + Self.figures(figures, test: reason, target: target)
        }
    }

    /// The evidence behind a revert: the test's statistic and both pools' figures.
    private static func figures(_ status: JudgeStatus, test reason: RevertReason, target: Pool) -> String {
        let (t, s) = (status.target, status.stable)
        var text = " (\(target.name): \(t.requests) requests, \(percent(t.errorRate)) errors, p99 \(ms(t.p99Ms));"
            + " \(target.other.name): \(s.requests) requests, \(percent(s.errorRate)) errors, p99 \(ms(s.p99Ms))"
        if case .regression(let test) = reason, let fired = status.tests.first(where: { $0.test == test }) {
            text += "; statistic \(formatFixed(fired.statistic, decimals: 2)) ≥ \(formatFixed(fired.threshold, decimals: 2))"
        }
        return text + ")"
    }

    private static func percent(_ rate: Double) -> String {
        formatFixed(rate * 100, decimals: 2) + "%"
    }

    private static func ms(_ value: Double?) -> String {
        value.map { formatFixed($0, decimals: 1) + "ms" } ?? "-"
    }
}
