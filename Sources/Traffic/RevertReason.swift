/// Why a rollout's target lost its traffic.
public enum RevertReason: Hashable, Sendable, CustomStringConvertible {
    /// The judge found the target worse than the stable pool on this test.
    case regression(JudgeTest)
    /// The target pool had no healthy backend during the rollout.
    case targetUnhealthy
    /// An operator aborted the rollout.
    case aborted
    /// An operator rolled a promotion back.
    case rolledBack

    public var description: String {
        switch self {
        case .regression(let test): "regression: \(test.reason)"
        case .targetUnhealthy: "no healthy backend in the target pool"
        case .aborted: "aborted by operator"
        case .rolledBack: "rolled back by operator"
        }
    }
}
