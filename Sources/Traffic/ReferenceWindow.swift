/// The stable pool's successful-request latencies over the last 60 seconds: the reference the
/// judge scores latencies against (docs/rollouts.md, "The judge's method", step 3). Fixed
/// memory: one histogram per second of the window plus their sum.
public struct ReferenceWindow: Hashable, Sendable {
    /// Seconds the window covers.
    public static let seconds = 60

    private var slots: [LatencyHistogram]
    private var next = 0
    /// The sum of the last `seconds` histograms pushed.
    public private(set) var sum = LatencyHistogram()

    /// An empty window.
    public init() {
        slots = Array(repeating: LatencyHistogram(), count: Self.seconds)
    }

    /// Adds one second of the stable pool's latencies, dropping the second that is now older
    /// than the window. Runs once a second.
    public mutating func push(_ second: LatencyHistogram) {
        sum.subtract(slots[next])
        sum.add(second)
        slots[next] = second
        next = (next + 1) % Self.seconds
    }
}
