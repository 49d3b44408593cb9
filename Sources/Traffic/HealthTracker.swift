/// Active health of one backend from its check results: it flips only after
/// `unhealthyAfter` failures in a row (to down) or `healthyAfter` successes in a row
/// (to up), so a single lost probe never moves traffic. A backend starts healthy.
public struct HealthTracker: Hashable, Sendable {
    public private(set) var healthy = true
    private var streak = 0

    public init() {}

    /// Records one check result; returns true when the health state flipped.
    public mutating func observe(success: Bool, unhealthyAfter: Int, healthyAfter: Int) -> Bool {
        if success == healthy {
            streak = 0
            return false
        }
        streak += 1
        guard streak >= (healthy ? unhealthyAfter : healthyAfter) else { return false }
        healthy = success
        streak = 0
        return true
    }
}
