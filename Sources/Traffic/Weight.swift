/// A pool's share of a route's traffic in basis points (1/100 of a percent): 0...10000.
public struct Weight: Hashable, Sendable {
    /// 0 (no traffic) ... 10000 (all traffic).
    public let basisPoints: Int

    public static let zero = Weight(checked: 0)
    public static let full = Weight(checked: 10_000)

    /// Builds a weight from basis points; nil outside 0...10000.
    public init?(basisPoints: Int) {
        guard (0...10_000).contains(basisPoints) else { return nil }
        self.basisPoints = basisPoints
    }

    /// Builds a weight from a percentage with at most two decimals (`10.25` → 1025 bp);
    /// nil for more decimals (`10.255`), values outside 0...100, NaN or infinity.
    public init?(percent: Double) {
        guard percent.isFinite else { return nil }
        let scaled = percent * 100
        let rounded = scaled.rounded()
        // Tolerates the binary representation error of decimal inputs like 10.1, nothing more.
        guard abs(scaled - rounded) < 1e-6, (0...10_000).contains(rounded) else { return nil }
        self.basisPoints = Int(rounded)
    }

    private init(checked basisPoints: Int) {
        self.basisPoints = basisPoints
    }

    /// The weight of the other pool of the route: 100% minus this one.
    public var complement: Weight {
        Weight(checked: 10_000 - basisPoints)
    }

    /// The percentage as short text: `"10"`, `"10.25"`, `"10.5"`, `"0.05"`.
    public var percentText: String {
        let whole = basisPoints / 100, hundredths = basisPoints % 100
        if hundredths == 0 {
            return "\(whole)"
        }
        if hundredths % 10 == 0 {
            return "\(whole).\(hundredths / 10)"
        }
        return hundredths < 10 ? "\(whole).0\(hundredths)" : "\(whole).\(hundredths)"
    }
}
