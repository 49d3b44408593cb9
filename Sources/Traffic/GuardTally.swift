/// The sums behind one test's practical guard over a span of seconds: the target pool's events
/// (failures, slow successes, or the sum of its successes' scores) and exposure (requests or
/// successes), and the stable pool's.
struct GuardTally: Hashable, Sendable {
    var targetEvents = 0.0
    var targetExposure = 0.0
    var stableEvents = 0.0
    var stableExposure = 0.0

    /// The four sums in the order above (persisted state).
    var numbers: [Double] {
        [targetEvents, targetExposure, stableEvents, stableExposure]
    }

    /// A tally of the given sums (one second's figures).
    init(targetEvents: Double, targetExposure: Double, stableEvents: Double, stableExposure: Double) {
        self.targetEvents = targetEvents
        self.targetExposure = targetExposure
        self.stableEvents = stableEvents
        self.stableExposure = stableExposure
    }

    /// Restores a tally from `numbers[offset..<offset + 4]`.
    init(numbers: [Double], offset: Int) {
        self.init(
            targetEvents: numbers[offset], targetExposure: numbers[offset + 1], stableEvents: numbers[offset + 2],
            stableExposure: numbers[offset + 3])
    }

    /// An empty tally.
    init() {}

    /// Adds another tally's sums (one more second) to these.
    mutating func add(_ other: GuardTally) {
        targetEvents += other.targetEvents
        targetExposure += other.targetExposure
        stableEvents += other.stableEvents
        stableExposure += other.stableExposure
    }

    /// Target events per unit of exposure (an exposure under 1 counts as 1).
    var targetRate: Double {
        targetEvents / max(targetExposure, 1)
    }

    /// Stable events per unit of exposure (an exposure under 1 counts as 1).
    var stableRate: Double {
        stableEvents / max(stableExposure, 1)
    }
}
