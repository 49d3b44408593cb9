import Testing
import Traffic

struct StickyHashTests {
    /// A deterministic xorshift generator, so the test is the same on every run.
    private struct Xorshift: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    private func randomKeys(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var generator = Xorshift(state: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 8...32, using: &generator)).map { _ in UInt8.random(in: 0x21...0x7E, using: &generator) }
        }
    }

    @Test func bucketsAreInRangeAndStable() {
        #expect(withBytes("") { StickyHash.bucket($0) } == withBytes("") { StickyHash.bucket($0) })
        for key in ["", "a", "user-1", "8f14e45fceea167a5a36dedd4bea2543"] {
            let bucket = withBytes(key) { StickyHash.bucket($0) }
            #expect((0..<StickyHash.bucketCount).contains(bucket))
            #expect(bucket == withBytes(key) { StickyHash.bucket($0) })
        }
    }

    @Test func randomKeysSpreadEvenly() {
        var perDecile = [Int](repeating: 0, count: 10)
        let keys = randomKeys(100_000, seed: 0x9E37_79B9_7F4A_7C15)
        var green = 0
        for key in keys {
            let bucket = key.withUnsafeBytes { StickyHash.bucket($0) }
            perDecile[bucket / 1_000] += 1
            if StickyHash.pool(bucket: bucket, green: Weight(basisPoints: 1_000)!) == .green { green += 1 }
        }
        #expect((9_000...11_000).contains(green))
        for count in perDecile {
            #expect((9_000...11_000).contains(count))
        }
    }

    @Test func sequentialKeysSpreadEvenly() {
        // Keys that differ only in their last bytes (counters, sequential ids) must not cluster.
        var green = 0
        for i in 0..<100_000 {
            let bucket = withBytes("user-\(i)") { StickyHash.bucket($0) }
            if StickyHash.pool(bucket: bucket, green: Weight(basisPoints: 2_500)!) == .green { green += 1 }
        }
        #expect((24_000...26_000).contains(green))
    }

    @Test func greenUsersStayGreenAsWeightGrows() {
        let buckets = randomKeys(10_000, seed: 42).map { $0.withUnsafeBytes { StickyHash.bucket($0) } }
        let steps = [0, 1, 500, 1_000, 1_025, 2_500, 5_000, 9_999, 10_000].map { Weight(basisPoints: $0)! }
        var inGreen = Set<Int>()
        for weight in steps {
            let now = Set(buckets.indices.filter { StickyHash.pool(bucket: buckets[$0], green: weight) == .green })
            #expect(inGreen.isSubset(of: now))
            inGreen = now
        }
        #expect(inGreen.count == buckets.count)
    }

    @Test func blueUsersStayBlueAsWeightShrinks() {
        let buckets = randomKeys(10_000, seed: 7).map { $0.withUnsafeBytes { StickyHash.bucket($0) } }
        var inBlue = Set<Int>()
        for basisPoints in [10_000, 9_000, 5_000, 1_000, 10, 0] {
            let weight = Weight(basisPoints: basisPoints)!
            let now = Set(buckets.indices.filter { StickyHash.pool(bucket: buckets[$0], green: weight) == .blue })
            #expect(inBlue.isSubset(of: now))
            inBlue = now
        }
        #expect(inBlue.count == buckets.count)
    }

    @Test func poolBoundaries() {
        #expect(StickyHash.pool(bucket: 0, green: .zero) == .blue)
        #expect(StickyHash.pool(bucket: 0, green: Weight(basisPoints: 1)!) == .green)
        #expect(StickyHash.pool(bucket: 1, green: Weight(basisPoints: 1)!) == .blue)
        #expect(StickyHash.pool(bucket: 9_999, green: .full) == .green)
    }
}
