/// Where one of the judge's tests stands: shown in the rollout status and, for the test that
/// fired, in the revert's figures.
public struct TestStatus: Hashable, Sendable {
    public var test: JudgeTest
    /// The log of the test's mixture statistic (an e-value); it fires at `threshold`.
    public var statistic: Double
    /// log(1/α).
    public var threshold: Double
    /// Whether the practical guard holds, over the rollout or since the last restart.
    public var guardHolds: Bool
    /// Over the rollout, for green: the error rate (errors), the share of successes slower
    /// than the reference p99 (latency tail), or the mean mid-rank score of its successes in
    /// the reference (latency shift, 0.5 for a pool like the reference).
    public var target: Double
    /// The same figure for the stable pool.
    public var stable: Double

    /// The test calls a regression: the statistic reached the threshold and the guard holds.
    public var fires: Bool {
        guardHolds && statistic >= threshold
    }
}
