/// Everything a rollout's judge has learnt, as plain numbers, so that a restarted Sluice resumes
/// the same evidence: persist it after every second and hand it back to `Judge(settings:state:)`.
public struct JudgeState: Hashable, Sendable {
    /// Seconds judged.
    public var seconds: Int
    /// Restart components started so far (1 at the first second, then one more every
    /// `JudgeSettings.restartSeconds`), dropped ones included.
    public var startedComponents: Int
    /// The reference histogram's counts (`LatencyHistogram.bucketCount` of them).
    public var reference: [UInt64]
    /// Per test in `JudgeTest.allCases` order: the log likelihood ratios, one row of the test's
    /// grid per kept started component (the first, then the recent restarts in the rows they
    /// reuse, at most `1 + JudgeSettings.recentRestarts`), row after row.
    public var logRatios: [[Double]]
    /// Per test in `JudgeTest.allCases` order, two guard tallies (over the rollout, then since
    /// the last restart) of four numbers each: target events, target exposure, stable events,
    /// stable exposure.
    public var tallies: [Double]
    /// The target pool's counters summed over the rollout.
    public var target: PoolSecond
    /// The stable pool's counters summed over the rollout.
    public var stable: PoolSecond
    /// The target pool's counters since the last restart component started.
    public var targetSinceRestart: PoolSecond
    /// The stable pool's counters since the last restart component started.
    public var stableSinceRestart: PoolSecond

    public init(
        seconds: Int, startedComponents: Int, reference: [UInt64], logRatios: [[Double]], tallies: [Double],
        target: PoolSecond, stable: PoolSecond, targetSinceRestart: PoolSecond, stableSinceRestart: PoolSecond
    ) {
        self.seconds = seconds
        self.startedComponents = startedComponents
        self.reference = reference
        self.logRatios = logRatios
        self.tallies = tallies
        self.target = target
        self.stable = stable
        self.targetSinceRestart = targetSinceRestart
        self.stableSinceRestart = stableSinceRestart
    }
}
