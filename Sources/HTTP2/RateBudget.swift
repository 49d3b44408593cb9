/// A token bucket: `burst` tokens at most, refilled at `perSecond`. Bounds how often a peer may
/// make us do work it can trigger for free (resets, PINGs, SETTINGS, empty frames). Pure: the
/// time comes in as milliseconds.
public struct RateBudget: Equatable, Sendable {
    public let burst: Int
    public let perSecond: Int
    /// Thousandths of a token.
    private var milliTokens: Int
    private var lastMs: Int?

    public init(burst: Int, perSecond: Int) {
        self.burst = burst
        self.perSecond = perSecond
        self.milliTokens = burst * 1000
    }

    /// Takes one token at time `nowMs`; false when the budget is spent.
    public mutating func spend(nowMs: Int) -> Bool {
        if let lastMs {
            let elapsed = max(0, min(nowMs - lastMs, 3_600_000))
            milliTokens = min(burst * 1000, milliTokens + elapsed * perSecond)
        }
        lastMs = nowMs
        guard milliTokens >= 1000 else { return false }
        milliTokens -= 1000
        return true
    }
}
