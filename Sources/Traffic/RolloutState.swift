/// Where a route's rollout stands.
public enum RolloutState: String, Hashable, Sendable {
    /// No rollout has run since Sluice knew the route.
    case idle
    /// Holding a step, judging every second, advancing when the hold is over.
    case running
    /// Judging every second (a regression still reverts) but not advancing.
    case paused
    /// The target reached 100% and is the stable pool now.
    case promoted
    /// The target was sent back to 0% by a regression, or its traffic sent back after a
    /// promotion (rollback).
    case reverted
    /// An operator sent the target back to 0%.
    case aborted

    /// Whether a rollout is under way (running or paused).
    public var isActive: Bool {
        self == .running || self == .paused
    }
}
