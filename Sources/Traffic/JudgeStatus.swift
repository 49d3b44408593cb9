/// The judge's figures after a second: each test's statistic, threshold and guard, and both
/// pools' counts, error rates and latency quantiles over the rollout. Plain values, for the
/// status endpoint, events and revert reports.
public struct JudgeStatus: Hashable, Sendable {
    /// Seconds judged so far.
    public var seconds: Int
    /// One entry per test, in `JudgeTest.allCases` order.
    public var tests: [TestStatus]
    /// The pool being rolled out.
    public var target: PoolSummary
    /// The stable pool it is compared with.
    public var stable: PoolSummary
    /// The latency from which a success counts as slow for the tail test (the upper edge of the
    /// reference p99's bucket); nil while the judge has no reference.
    public var slowFromMs: Double?

    /// The first test that fires, in the order errors, latency tail, latency shift; nil while
    /// none does.
    public var verdict: TestStatus? {
        tests.first(where: \.fires)
    }
}
