import Testing
import Traffic

struct WeightTests {
    @Test(arguments: [
        (0.0, 0), (100.0, 10_000), (10.0, 1_000), (10.25, 1_025), (10.5, 1_050), (0.01, 1), (99.99, 9_999),
        (33.33, 3_333), (0.1, 10), (12.5, 1_250), (57.3, 5_730),
    ])
    func fromPercent(percent: Double, basisPoints: Int) {
        #expect(Weight(percent: percent)?.basisPoints == basisPoints)
    }

    @Test(arguments: [10.255, 0.001, -0.01, -1, 100.01, 101, Double.nan, Double.infinity, 33.333])
    func rejectsPercent(percent: Double) {
        #expect(Weight(percent: percent) == nil)
    }

    @Test(arguments: [(0, "0"), (1_000, "10"), (1_025, "10.25"), (1_050, "10.5"), (5, "0.05"), (10_000, "100"), (1, "0.01"), (9_990, "99.9")])
    func percentText(basisPoints: Int, text: String) {
        #expect(Weight(basisPoints: basisPoints)?.percentText == text)
    }

    @Test func basisPointsRangeAndComplement() {
        #expect(Weight(basisPoints: -1) == nil)
        #expect(Weight(basisPoints: 10_001) == nil)
        #expect(Weight.zero.basisPoints == 0)
        #expect(Weight.full.basisPoints == 10_000)
        #expect(Weight(basisPoints: 1_025)?.complement.basisPoints == 8_975)
    }
}
