/// The margins a rollout's comparison of the target pool with the stable pool must exceed
/// before it counts as a regression, and the evidence it needs before a step may pass.
public struct AnalysisConfig: Hashable, Sendable {
    /// Absolute margin on the error rate: the target must exceed stable's rate by this much
    /// (0.005 = half a percentage point).
    public var errorRateMaxIncrease: Double
    /// Relative margin on the error rate: target rate / stable rate must reach this.
    public var errorRateMaxRatio: Double
    /// The latency quantile the shift test's absolute margin compares (0.95 = p95).
    public var latencyQuantile: Double
    /// Absolute latency margin: the shift test needs the target's `latencyQuantile`, the tail
    /// test its p99, to exceed stable's by this many milliseconds (0: none).
    public var latencyMaxIncreaseMs: Int
    /// Relative margin of the tail test: the target's share of slow successes over stable's.
    public var latencyMaxRatio: Double
    /// Requests the target pool must serve in a step before the step may pass.
    public var minRequests: Int

    public init(
        errorRateMaxIncrease: Double = 0.005, errorRateMaxRatio: Double = 2.0,
        latencyQuantile: Double = 0.95, latencyMaxIncreaseMs: Int = 10, latencyMaxRatio: Double = 1.25,
        minRequests: Int = 200
    ) {
        self.errorRateMaxIncrease = errorRateMaxIncrease
        self.errorRateMaxRatio = errorRateMaxRatio
        self.latencyQuantile = latencyQuantile
        self.latencyMaxIncreaseMs = latencyMaxIncreaseMs
        self.latencyMaxRatio = latencyMaxRatio
        self.minRequests = minRequests
    }
}
