#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decides, once a second, whether the pool being rolled out (the target) is worse than the
/// stable pool, with the method of docs/rollouts.md ("The judge's method"): an
/// error-attribution and a slow-tail attribution mixture SPRT and a rank-score e-process, each mixed over restart components
/// started every 150 s, compared with log(1/α) and gated by practical guards. By Ville's
/// inequality a rollout of two equal pools is reverted with probability at most 1%, however
/// often it is looked at and however long it holds. Memory is fixed, and a second costs
/// O(buckets × tilts + kept components × grid), whatever the hold (see `RestartMixture`).
public struct Judge: Sendable {
    public let settings: JudgeSettings
    /// The stable pool's latencies the tail threshold and the rank scores come from.
    public private(set) var reference: LatencyHistogram
    /// Successes in buckets above this one are slow (none while the reference is empty).
    private var slowAbove = LatencyHistogram.bucketCount - 1
    /// Each bucket's mid-rank in the reference, in 0...1 (0.5 everywhere without a reference).
    private var scores = Array(repeating: 0.5, count: LatencyHistogram.bucketCount)
    /// exp(λ·score) for each bucket and tilt, bucket by bucket.
    private var tilts: [Double]
    /// Per test, in `JudgeTest.allCases` order.
    private var mixtures: [RestartMixture]
    private var rolloutTallies: [GuardTally]
    private var restartTallies: [GuardTally]
    private var seconds = 0
    /// Restart components started so far, the first included (dropped ones too).
    private var started = 1
    /// Both pools' counters over the rollout...
    private var target = PoolSecond()
    private var stable = PoolSecond()
    /// ...and since the last restart component started (the guards' two spans).
    private var targetSinceRestart = PoolSecond()
    private var stableSinceRestart = PoolSecond()
    /// Scratch space for one second's increments.
    private var increments: [Double]

    /// A judge for a rollout that starts now, scoring against `reference` (the stable pool's
    /// last 60 s).
    public init(settings: JudgeSettings, reference: LatencyHistogram) {
        self.settings = settings
        self.reference = LatencyHistogram()
        tilts = []
        let widths = [JudgeSettings.errorRatios.count, JudgeSettings.tailRatios.count, JudgeSettings.lambdas.count]
        mixtures = widths.map { RestartMixture(width: $0) }
        rolloutTallies = Array(repeating: GuardTally(), count: widths.count)
        restartTallies = rolloutTallies
        increments = Array(repeating: 0, count: widths.max() ?? 0)
        setReference(reference)
    }

    /// Resumes a judge from persisted `state`, with the settings it was made with (also a state
    /// saved with one restart component per 150 s of the planned hold, see `RestartMixture`);
    /// nil if the state is inconsistent.
    public init?(settings: JudgeSettings, state: JudgeState) {
        self.init(settings: settings, reference: LatencyHistogram())
        let tests = JudgeTest.allCases.count
        guard let reference = LatencyHistogram(counts: state.reference),
              state.seconds >= 0,
              (1...(1 + state.seconds / JudgeSettings.restartSeconds)).contains(state.startedComponents),
              state.logRatios.count == tests, state.tallies.count == tests * 8, state.tallies.allSatisfy(\.isFinite)
        else { return nil }
        let startedNow = 1 + state.seconds / JudgeSettings.restartSeconds
        for index in 0..<tests {
            guard let mixture = RestartMixture(
                width: mixtures[index].width, started: startedNow, saved: state.logRatios[index],
                savedStarted: state.startedComponents)
            else { return nil }
            mixtures[index] = mixture
            rolloutTallies[index] = GuardTally(numbers: state.tallies, offset: index * 8)
            restartTallies[index] = GuardTally(numbers: state.tallies, offset: index * 8 + 4)
        }
        seconds = state.seconds
        started = startedNow
        target = state.target
        stable = state.stable
        targetSinceRestart = state.targetSinceRestart
        stableSinceRestart = state.stableSinceRestart
        setReference(reference)
    }

    /// The judge's evidence as plain numbers, to persist.
    public var state: JudgeState {
        JudgeState(
            seconds: seconds, startedComponents: started, reference: reference.counts,
            logRatios: mixtures.map { $0.saved(started: started) },
            tallies: zip(rolloutTallies, restartTallies).flatMap { $0.numbers + $1.numbers },
            target: target, stable: stable, targetSinceRestart: targetSinceRestart,
            stableSinceRestart: stableSinceRestart)
    }

    /// Replaces the reference (at a step start, from the stable pool's last 60 s): the tail
    /// threshold becomes the bucket of its p99 and each bucket's score its mid-rank. An empty
    /// reference leaves the latency tests inert. Runs between seconds, so every second is
    /// scored by a reference fixed before it, which keeps the tests valid.
    public mutating func setReference(_ reference: LatencyHistogram) {
        self.reference = reference
        let total = Double(reference.count)
        var below: UInt64 = 0
        slowAbove = LatencyHistogram.bucketCount - 1
        for bucket in 0..<LatencyHistogram.bucketCount {
            let inBucket = reference.counts[bucket]
            if total > 0 {
                scores[bucket] = (Double(below) + 0.5 * Double(inBucket)) / total
                if slowAbove == LatencyHistogram.bucketCount - 1, Double(below + inBucket) >= JudgeSettings.tailQuantile * total {
                    slowAbove = bucket
                }
            } else {
                scores[bucket] = 0.5
            }
            below += inBucket
        }
        tilts = scores.flatMap { score in JudgeSettings.lambdas.map { exp($0 * score) } }
    }

    /// Judges one second: adds the target's and the stable pool's counters to every test and
    /// returns the figures; a regression is `verdict` of the result. Runs once a second, with
    /// the requests both pools served by weight in that second.
    public mutating func observe(target: PoolSecond, stable: PoolSecond) -> JudgeStatus {
        let targetSlow = target.latency.counts[(slowAbove + 1)...].reduce(0, +)
        let stableSlow = stable.latency.counts[(slowAbove + 1)...].reduce(0, +)
        let targetSuccesses = Int(target.latency.count), stableSuccesses = Int(stable.latency.count)
        addAttribution(.errors, JudgeSettings.errorRatios, target.failures, target.requests, stable.failures, stable.requests)
        addAttribution(.latencyTail, JudgeSettings.tailRatios, Int(targetSlow), targetSuccesses, Int(stableSlow), stableSuccesses)
        let targetScore = scoreSum(target.latency), stableScore = scoreSum(stable.latency)
        addShift(target: target.latency, stable: stable.latency, targetScore: targetScore)
        let second = [
            GuardTally(
                targetEvents: Double(target.failures), targetExposure: Double(target.requests),
                stableEvents: Double(stable.failures), stableExposure: Double(stable.requests)),
            GuardTally(
                targetEvents: Double(targetSlow), targetExposure: Double(targetSuccesses),
                stableEvents: Double(stableSlow), stableExposure: Double(stableSuccesses)),
            GuardTally(
                targetEvents: targetScore, targetExposure: Double(targetSuccesses),
                stableEvents: stableScore, stableExposure: Double(stableSuccesses)),
        ]
        for (index, tally) in second.enumerated() {
            rolloutTallies[index].add(tally)
            restartTallies[index].add(tally)
        }
        self.target.add(target)
        self.stable.add(stable)
        targetSinceRestart.add(target)
        stableSinceRestart.add(stable)
        seconds += 1
        let result = status
        if seconds % JudgeSettings.restartSeconds == 0 {
            for index in mixtures.indices { mixtures[index].start(component: started) }
            started += 1
            restartTallies = Array(repeating: GuardTally(), count: restartTallies.count)
            targetSinceRestart.reset()
            stableSinceRestart.reset()
        }
        return result
    }

    /// Every test's statistic and guard and both pools' figures after the last second.
    public var status: JudgeStatus {
        let tests = JudgeTest.allCases.map { test in
            let index = test.position
            return TestStatus(
                test: test,
                statistic: mixtures[index].logStatistic(started: started),
                threshold: test.threshold,
                guardHolds: guardHolds(test, rolloutTallies[index], target.latency, stable.latency)
                    || guardHolds(test, restartTallies[index], targetSinceRestart.latency, stableSinceRestart.latency),
                target: rolloutTallies[index].targetRate, stable: rolloutTallies[index].stableRate)
        }
        let slowFromMs = reference.count > 0 ? LatencyHistogram.upperBoundMs(bucket: slowAbove) : nil
        return JudgeStatus(
            seconds: seconds, tests: tests, target: PoolSummary(target), stable: PoolSummary(stable),
            slowFromMs: slowFromMs)
    }

    /// Step 5's practical guard (docs/rollouts.md, "The judge's method") of `test` over one
    /// span: its tally and both pools' latencies in that span. The latency tests also need the
    /// absolute margin `latency.maxIncrease` (docs/rollouts.md, "What is compared"), which the
    /// method's relative guards lack (two idle-ish backends of a sub-millisecond service
    /// differ by 10% for good, and the rank test proves it within seconds).
    private func guardHolds(
        _ test: JudgeTest, _ tally: GuardTally, _ targetLatency: LatencyHistogram, _ stableLatency: LatencyHistogram
    ) -> Bool {
        let targetRate = tally.targetRate, stableRate = tally.stableRate
        switch test {
        case .errors:
            return tally.targetEvents >= JudgeSettings.minimumBadRequests
                && targetRate - stableRate >= settings.errorRateMaxIncrease
                && targetRate >= settings.errorRateMaxRatio * stableRate
        case .latencyTail:
            return tally.targetEvents >= JudgeSettings.minimumBadRequests
                && targetRate >= settings.slowRatio * max(stableRate, 1e-12)
                && exceedsLatencyMargin(at: JudgeSettings.tailQuantile, targetLatency, stableLatency)
        case .latencyShift:
            return targetRate - stableRate >= JudgeSettings.rankGap
                && exceedsLatencyMargin(at: settings.latencyQuantile, targetLatency, stableLatency)
        }
    }

    /// Whether the target's latency at `quantile` exceeds the stable pool's by the absolute
    /// margin; false while either pool has no success, true when the margin is 0.
    private func exceedsLatencyMargin(
        at quantile: Double, _ targetLatency: LatencyHistogram, _ stableLatency: LatencyHistogram
    ) -> Bool {
        guard settings.latencyMaxIncreaseMs > 0 else { return true }
        guard let targetMs = targetLatency.quantile(quantile), let stableMs = stableLatency.quantile(quantile) else {
            return false
        }
        return targetMs - stableMs >= settings.latencyMaxIncreaseMs
    }

    /// Steps 1-2 of docs/rollouts.md's judge's method: within the second, a bad event is the target's with probability
    /// r·nt/(r·nt+ns) under alternative r, nt/(nt+ns) if the target is no worse. Adds
    /// `xt·log r − (xt+xs)·(log(r·nt+ns) − log(nt+ns))` for each r of `ratios`.
    private mutating func addAttribution(
        _ test: JudgeTest, _ ratios: [Double], _ targetBad: Int, _ targetCount: Int, _ stableBad: Int, _ stableCount: Int
    ) {
        let bad = targetBad + stableBad
        guard bad > 0 else { return }
        let logAll = log(Double(targetCount + stableCount))
        for (k, ratio) in ratios.enumerated() {
            increments[k] = Double(targetBad) * log(ratio)
                - Double(bad) * (log(ratio * Double(targetCount) + Double(stableCount)) - logAll)
        }
        mixtures[test.position].add(increments, started: started)
    }

    /// Step 3 of docs/rollouts.md's judge's method: with the target's score sum S over its n successes, adds
    /// `λ·S − n·log(mean over both pools' successes of exp(λ·score))` for each tilt λ; a second
    /// in which either pool has no success adds nothing.
    private mutating func addShift(target: LatencyHistogram, stable: LatencyHistogram, targetScore: Double) {
        guard target.count > 0, stable.count > 0 else { return }
        let tiltCount = JudgeSettings.lambdas.count
        for k in 0..<tiltCount {
            increments[k] = 0
        }
        for bucket in 0..<LatencyHistogram.bucketCount {
            let both = target.counts[bucket] + stable.counts[bucket]
            guard both > 0 else { continue }
            for k in 0..<tiltCount {
                increments[k] += Double(both) * tilts[bucket * tiltCount + k]
            }
        }
        let successes = Double(target.count + stable.count)
        for (k, lambda) in JudgeSettings.lambdas.enumerated() {
            increments[k] = lambda * targetScore - Double(target.count) * log(increments[k] / successes)
        }
        mixtures[JudgeTest.latencyShift.position].add(increments, started: started)
    }

    /// The sum of the scores of a histogram's successes.
    private func scoreSum(_ latency: LatencyHistogram) -> Double {
        var sum = 0.0
        for bucket in 0..<LatencyHistogram.bucketCount where latency.counts[bucket] > 0 {
            sum += Double(latency.counts[bucket]) * scores[bucket]
        }
        return sum
    }
}
