import Testing
import Traffic

struct WeightedPickerTests {
    private func picks(_ percent: Double, count: Int, seed: UInt64 = 1) throws -> [Pool] {
        var picker = WeightedPicker(green: try #require(Weight(percent: percent)), seed: seed)
        return (0..<count).map { _ in picker.next() }
    }

    @Test func zeroNeverPicksGreenAndHundredAlways() throws {
        #expect(try picks(0, count: 10_000).allSatisfy { $0 == .blue })
        #expect(try picks(100, count: 10_000).allSatisfy { $0 == .green })
    }

    /// Every aligned block holds exactly the weight's share of green.
    @Test(arguments: [(10.0, 10, 1), (12.5, 8, 1), (50.0, 2, 1), (90.0, 10, 9), (5.0, 20, 1), (33.33, 10_000, 3_333), (0.01, 10_000, 1)])
    func everyBlockIsExact(percent: Double, block: Int, greens: Int) throws {
        for seed in 1...5 as ClosedRange<UInt64> {
            let all = try picks(percent, count: block * 7, seed: seed)
            for start in stride(from: 0, to: all.count, by: block) {
                #expect(all[start..<(start + block)].count(where: { $0 == .green }) == greens)
            }
        }
    }

    /// Within a block the green position is uniform, so a periodic pattern of arrivals (five
    /// paced connections sharing one worker) sees green spread evenly over its slots, not
    /// stuck on one as with a round robin of period 10.
    @Test func greenIsNotTiedToAnArrivalSlot() throws {
        let all = try picks(10, count: 100_000, seed: 42)
        var perSlot = Array(repeating: 0, count: 5)
        var perPosition = Array(repeating: 0, count: 10)
        for (index, pool) in all.enumerated() where pool == .green {
            perSlot[index % 5] += 1
            perPosition[index % 10] += 1
        }
        // 10,000 greens: 2,000 per slot and 1,000 per position expected; 5 standard deviations.
        #expect(perSlot.allSatisfy { abs($0 - 2_000) < 5 * 40 }, "\(perSlot)")
        #expect(perPosition.allSatisfy { abs($0 - 1_000) < 5 * 30 }, "\(perPosition)")
    }

    @Test func differentSeedsGiveDifferentOrders() throws {
        #expect(try picks(10, count: 1_000, seed: 1) != picks(10, count: 1_000, seed: 2))
        #expect(try picks(10, count: 1_000, seed: 3) == picks(10, count: 1_000, seed: 3))
    }
}
