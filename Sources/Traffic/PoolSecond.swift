/// What one pool of a route served in one second, as the judge compares it: requests routed by
/// weight (attempts, not retries; no forced-override traffic, no health checks), how many of them
/// failed (5xx from the backend, the proxy's own 502/503/504, connect failures and timeouts; not
/// client aborts), and the latency of the successful ones. Workers each keep one per pool and
/// route and merge them by addition once a second.
public struct PoolSecond: Hashable, Sendable {
    /// Requests routed to the pool.
    public var requests: Int
    /// Requests of those that failed.
    public var failures: Int
    /// Latency of the requests that succeeded.
    public var latency: LatencyHistogram

    /// Counters for a second with no requests yet.
    public init() {
        self.init(requests: 0, failures: 0, latency: LatencyHistogram())
    }

    /// Counters with the given figures (restoring, testing); `latency` should hold the
    /// `requests - failures` successes.
    public init(requests: Int, failures: Int, latency: LatencyHistogram) {
        self.requests = requests
        self.failures = failures
        self.latency = latency
    }

    /// Counts one finished request: a failure, or a success that took `micros` microseconds.
    /// Runs once per request; does not allocate.
    public mutating func record(failed: Bool, micros: Int) {
        requests += 1
        if failed {
            failures += 1
        } else {
            latency.record(micros: micros)
        }
    }

    /// Adds another worker's (or second's) counters to these.
    public mutating func add(_ other: PoolSecond) {
        requests += other.requests
        failures += other.failures
        latency.add(other.latency)
    }

    /// Takes back counters added before: `other` must be part of these (an earlier reading of
    /// the same cumulative counters, whose difference is what happened in between).
    public mutating func subtract(_ other: PoolSecond) {
        requests -= other.requests
        failures -= other.failures
        latency.subtract(other.latency)
    }

    /// Zeroes the counters, keeping the histogram's storage, for the next second.
    public mutating func reset() {
        requests = 0
        failures = 0
        latency.reset()
    }
}
