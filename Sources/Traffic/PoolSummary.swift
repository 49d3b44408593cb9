/// One pool's figures over a rollout so far, for status output and revert reports.
public struct PoolSummary: Hashable, Sendable {
    public var requests: Int
    public var failures: Int
    /// failures / requests (0 without requests).
    public var errorRate: Double
    /// Latency quantiles of the successful requests in milliseconds; nil without any.
    public var p50Ms: Double?
    public var p95Ms: Double?
    public var p99Ms: Double?

    /// Summarises accumulated counters.
    public init(_ pool: PoolSecond) {
        requests = pool.requests
        failures = pool.failures
        errorRate = Double(pool.failures) / Double(max(pool.requests, 1))
        p50Ms = pool.latency.quantile(0.5)
        p95Ms = pool.latency.quantile(0.95)
        p99Ms = pool.latency.quantile(0.99)
    }
}
