/// What one rollout's judge is configured with: the method's constants (docs/rollouts.md,
/// "The judge's method"), fixed because the published false-revert and detection figures were measured with them, and the
/// practical margins of the route's (or the rollout's) `analysis`.
public struct JudgeSettings: Hashable, Sendable {
    /// Alternatives "green's failures are r times as likely" mixed by the error test.
    public static let errorRatios: [Double] = [2, 3, 5, 10, 30, 100, 1000]
    /// Alternatives "green's slow successes are r times as likely" mixed by the tail test.
    public static let tailRatios: [Double] = [1.5, 2, 3, 5, 10, 30, 100]
    /// Tilts mixed by the rank test.
    public static let lambdas: [Double] = [0.5, 1, 2, 4, 8]
    /// A fresh component of every test starts this often.
    public static let restartSeconds = 150
    /// Restart components kept besides the first: the most recent ones (step 4 of the judge's method in docs/rollouts.md).
    public static let recentRestarts = 16
    /// A success is slow when it lands above the bucket of this quantile of the reference.
    public static let tailQuantile = 0.99
    /// The error and tail tests never fire on fewer bad green requests than this.
    public static let minimumBadRequests = 3.0
    /// The rank test never fires on a smaller gap between the pools' mean scores (about +7% on
    /// the median).
    public static let rankGap = 0.03

    /// The error guard: green's error rate must exceed stable's by this much...
    public var errorRateMaxIncrease: Double
    /// ...and be at least this many times stable's.
    public var errorRateMaxRatio: Double
    /// The tail guard: green's share of slow successes must be at least this many times stable's.
    public var slowRatio: Double
    /// The quantile the shift test's absolute margin compares (the tail test compares
    /// `tailQuantile`).
    public var latencyQuantile: Double
    /// The absolute latency margin of both latency tests: green's latency at the compared
    /// quantile must exceed stable's by this many milliseconds (0: no absolute margin).
    public var latencyMaxIncreaseMs: Double

    /// Settings for a rollout with the margins of `analysis` (`errorRateMaxIncrease`, `errorRateMaxRatio`, `latencyMaxRatio` as the tail
    /// guard's ratio, `latencyQuantile` and `latencyMaxIncreaseMs` as the latency tests'
    /// absolute margin).
    public init(analysis: AnalysisConfig) {
        errorRateMaxIncrease = analysis.errorRateMaxIncrease
        errorRateMaxRatio = analysis.errorRateMaxRatio
        slowRatio = analysis.latencyMaxRatio
        latencyQuantile = analysis.latencyQuantile
        latencyMaxIncreaseMs = Double(analysis.latencyMaxIncreaseMs)
    }
}
