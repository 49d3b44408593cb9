/// How one simulated pool answers: its failure rate and how its successes' latency differs from
/// the baseline (lognormal, median 20 ms, σ 0.6: p95 54 ms, p99 81 ms, as in JUDGE.md's sim.py).
public struct PoolBehaviour: Hashable, Sendable {
    /// Share of requests that fail.
    public var failureRate: Double
    /// Every success's baseline latency is multiplied by this...
    public var latencyFactor: Double
    /// ...then this is added, in milliseconds...
    public var addedMs: Double
    /// ...and this share of the successes gets `slowAddedMs` more.
    public var slowShare: Double
    public var slowAddedMs: Double

    public init(failureRate: Double, latencyFactor: Double = 1, addedMs: Double = 0, slowShare: Double = 0, slowAddedMs: Double = 0) {
        self.failureRate = failureRate
        self.latencyFactor = latencyFactor
        self.addedMs = addedMs
        self.slowShare = slowShare
        self.slowAddedMs = slowAddedMs
    }
}
