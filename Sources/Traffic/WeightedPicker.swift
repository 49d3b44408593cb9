/// Chooses blue or green for each unforced, non-sticky request by weight: in every block of
/// `B = 10000 / gcd(weight, 10000)` picks exactly the weight's share goes to green (1 in 10 at
/// 10%, 1 in 8 at 12.5%), at random positions within the block (sequential sampling without
/// replacement). Exact like a weighted round robin, but which pool a request lands in says
/// nothing about when it arrived or which connection sent it: the rollout judge compares the
/// pools on the premise of such a random split, and a periodic one (a round robin meeting
/// paced clients) would tie a pool to a timing slot. Each event loop owns its own picker; it is
/// rebuilt whenever the route's weight changes.
public struct WeightedPicker: Sendable {
    /// Picks per block, and greens among them.
    private let block: Int
    private let greensPerBlock: Int
    /// Picks and greens left in the current block.
    private var left = 0
    private var greensLeft = 0
    private var random: SeededGenerator

    /// A picker for green at `green` (blue gets the rest), drawing positions from `seed`.
    public init(green: Weight, seed: UInt64) {
        var a = green.basisPoints, b = 10_000
        while b != 0 { (a, b) = (b, a % b) }
        block = 10_000 / a
        greensPerBlock = green.basisPoints / a
        random = SeededGenerator(seed: seed)
    }

    /// Picks the pool for the next request: green with probability (greens left) / (picks
    /// left) in the block. Does not allocate.
    public mutating func next() -> Pool {
        if left == 0 {
            left = block
            greensLeft = greensPerBlock
        }
        let green = greensLeft == left || (greensLeft > 0 && Int(random.next(upperBound: UInt64(left))) < greensLeft)
        left -= 1
        if green {
            greensLeft -= 1
            return .green
        }
        return .blue
    }
}
