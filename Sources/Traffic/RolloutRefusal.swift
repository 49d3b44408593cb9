/// Why a rollout command was refused; nothing changed.
public enum RolloutRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The command does not apply in the rollout's state (a conflict: HTTP 409).
    case conflict(command: String, state: RolloutState)
    /// A rollout must go to the pool that is not stable (an invalid value: HTTP 422).
    case targetIsStable(Pool)

    public var description: String {
        switch self {
        case .conflict(let command, let state):
            state == .idle ? "cannot \(command): no rollout has run" : "cannot \(command): the rollout is \(state.rawValue)"
        case .targetIsStable(let pool):
            "cannot roll out to \(pool.name): it is the stable pool"
        }
    }
}
