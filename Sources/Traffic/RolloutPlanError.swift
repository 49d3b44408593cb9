/// Why a list of steps and holds is not a rollout plan.
public enum RolloutPlanError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The plan has no step below 100%.
    case noStepBelowFull
    /// The steps are not increasing percentages above 0.
    case stepsNotIncreasing
    /// The last step is not 100%.
    case lastStepNotFull
    /// Neither one hold for every step nor one hold per step below 100%.
    case holdCount(expected: Int, given: Int)
    /// A hold is shorter than a second.
    case holdTooShort(ms: Int)
    /// A hold is longer than `RolloutPlan.longestHoldMs` (30 days).
    case holdTooLong(ms: Int)

    public var description: String {
        switch self {
        case .noStepBelowFull: "a plan needs at least one step below 100%"
        case .stepsNotIncreasing: "steps must be increasing percentages above 0"
        case .lastStepNotFull: "the last step must be 100%"
        case .holdCount(let expected, let given):
            "expected one hold or \(expected) (one per step below 100%), got \(given)"
        case .holdTooShort(let ms): "a hold must be at least 1s, got \(formatDuration(ms: ms))"
        case .holdTooLong(let ms):
            "a hold must be at most \(formatDuration(ms: RolloutPlan.longestHoldMs)) (30 days), got \(formatDuration(ms: ms))"
        }
    }
}
