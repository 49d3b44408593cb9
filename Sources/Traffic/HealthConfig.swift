/// Active health checks of every backend of a route.
public struct HealthConfig: Hashable, Sendable {
    /// The path requested with `GET`; a 2xx answer counts as healthy.
    public var path: String
    /// Time between two checks of one backend.
    public var intervalMs: Int
    /// Time a check may take before it counts as failed.
    public var timeoutMs: Int
    /// Consecutive failed checks that mark a healthy backend unhealthy.
    public var unhealthyAfter: Int
    /// Consecutive passed checks that mark an unhealthy backend healthy.
    public var healthyAfter: Int

    public init(path: String = "/health", intervalMs: Int = 2_000, timeoutMs: Int = 1_000, unhealthyAfter: Int = 3, healthyAfter: Int = 2) {
        self.path = path
        self.intervalMs = intervalMs
        self.timeoutMs = timeoutMs
        self.unhealthyAfter = unhealthyAfter
        self.healthyAfter = healthyAfter
    }
}
