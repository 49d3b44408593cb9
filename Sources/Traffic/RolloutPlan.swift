/// The steps of a rollout: the target pool's weight at each step, increasing and ending at
/// 100%, and how long each step below 100% is held at least before the next.
public struct RolloutPlan: Hashable, Sendable {
    /// The target pool's weight at each step; the last is 100% (reaching it is the promotion).
    public let steps: [Weight]
    /// The minimum hold of each step below 100%, in milliseconds (`steps.count - 1` of them).
    public let holdsMs: [Int]

    /// 10% → 50% → 100%, holding 5 min and 10 min.
    public static let blueGreen = RolloutPlan(checkedPercents: [10, 50, 100], holdsMs: [300_000, 600_000])
    /// 5% → 25% → 50% → 100%, holding 30 min, 1 h and 2 h.
    public static let canary = RolloutPlan(
        checkedPercents: [5, 25, 50, 100], holdsMs: [1_800_000, 3_600_000, 7_200_000])

    /// The longest hold of a step: 30 days. With at most 10,000 steps (two decimals), no sum
    /// of holds or time held can overflow.
    public static let longestHoldMs = 30 * 24 * 3_600_000

    /// Validates a plan: at least one step below 100%, increasing above 0, ending at 100%, and
    /// either one hold for every step below 100% or one hold per such step, each from 1 s to
    /// 30 days.
    public init(steps: [Weight], holdsMs: [Int]) throws(RolloutPlanError) {
        guard steps.count >= 2 else { throw .noStepBelowFull }
        guard steps[0].basisPoints > 0, zip(steps, steps.dropFirst()).allSatisfy({ $0.basisPoints < $1.basisPoints })
        else { throw .stepsNotIncreasing }
        guard steps.last == .full else { throw .lastStepNotFull }
        let holdCount = steps.count - 1
        guard holdsMs.count == 1 || holdsMs.count == holdCount else {
            throw .holdCount(expected: holdCount, given: holdsMs.count)
        }
        if let short = holdsMs.first(where: { $0 < 1_000 }) { throw .holdTooShort(ms: short) }
        if let long = holdsMs.first(where: { $0 > Self.longestHoldMs }) { throw .holdTooLong(ms: long) }
        self.steps = steps
        self.holdsMs = holdsMs.count == 1 ? Array(repeating: holdsMs[0], count: holdCount) : holdsMs
    }

    /// A built-in plan, known to be valid.
    private init(checkedPercents: [Int], holdsMs: [Int]) {
        steps = checkedPercents.map { Weight(basisPoints: $0 * 100) ?? .full }
        self.holdsMs = holdsMs
    }
}
