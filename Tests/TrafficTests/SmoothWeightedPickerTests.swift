import Testing
import Traffic

struct SmoothWeightedPickerTests {
    private func picks(_ percent: Double, count: Int) throws -> [Pool] {
        var picker = SmoothWeightedPicker(green: try #require(Weight(percent: percent)))
        return (0..<count).map { _ in picker.next() }
    }

    /// The largest and smallest number of greens in any `window` consecutive picks.
    private func greenRange(_ picks: [Pool], window: Int) -> ClosedRange<Int> {
        var count = picks[0..<window].count(where: { $0 == .green })
        var low = count, high = count
        for end in window..<picks.count {
            count += (picks[end] == .green ? 1 : 0) - (picks[end - window] == .green ? 1 : 0)
            low = min(low, count)
            high = max(high, count)
        }
        return low...high
    }

    /// The longest run of consecutive picks of `pool`.
    private func longestRun(_ picks: [Pool], of pool: Pool) -> Int {
        var longest = 0, current = 0
        for pick in picks {
            current = pick == pool ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }

    @Test func zeroNeverPicksGreen() throws {
        #expect(try picks(0, count: 10_000).allSatisfy { $0 == .blue })
    }

    @Test func hundredAlwaysPicksGreen() throws {
        #expect(try picks(100, count: 10_000).allSatisfy { $0 == .green })
    }

    @Test func tenPercentIsOneGreenInEveryTen() throws {
        let sequence = try picks(10, count: 10_000)
        #expect(greenRange(sequence, window: 10) == 1...1)
        #expect(sequence.count(where: { $0 == .green }) == 1_000)
        #expect(longestRun(sequence, of: .green) == 1)
        #expect(longestRun(sequence, of: .blue) == 9)
    }

    @Test func fiftyPercentAlternates() throws {
        let sequence = try picks(50, count: 1_000)
        for i in 1..<sequence.count {
            #expect(sequence[i] != sequence[i - 1])
        }
    }

    @Test func twelveAndAHalfPercentIsExactPerThousand() throws {
        let sequence = try picks(12.5, count: 10_000)
        #expect(greenRange(sequence, window: 1_000) == 125...125)
        #expect(greenRange(sequence, window: 8) == 1...1)
        #expect(longestRun(sequence, of: .blue) == 7)
    }

    @Test func ninetyPercentIsOneBlueInEveryTen() throws {
        let sequence = try picks(90, count: 10_000)
        #expect(greenRange(sequence, window: 10) == 9...9)
        #expect(longestRun(sequence, of: .blue) == 1)
        #expect(longestRun(sequence, of: .green) == 9)
    }

    @Test(arguments: [0.01, 1, 5, 10.25, 33.33, 66.67, 99.99])
    func anyWeightIsEvenlySpread(percent: Double) throws {
        // A balanced sequence: every window of n picks holds floor or ceil of n * weight greens.
        let sequence = try picks(percent, count: 20_000)
        let share = percent / 100
        for window in [7, 100, 1_000, 10_000] {
            let expected = Double(window) * share
            let range = greenRange(sequence, window: window)
            #expect(Double(range.lowerBound) >= expected.rounded(.down))
            #expect(Double(range.upperBound) <= expected.rounded(.up))
        }
    }
}
