/// Passive health of one backend in one worker, from the outcomes of real requests.
///
/// After `threshold` consecutive failures (connect refused or timed out, reset before a
/// response) the backend is ejected for a back-off that starts at `baseBackoffMs` and
/// doubles on each ejection in a row, up to `maxBackoffMs`. When the back-off is over the
/// backend is tried again; one success clears everything, one failure ejects it again.
/// Time is a parameter (monotonic milliseconds).
public struct PassiveEjection: Hashable, Sendable {
    public static let threshold = 3
    public static let baseBackoffMs: Int64 = 1_000
    public static let maxBackoffMs: Int64 = 30_000

    private var failures = 0
    private var ejections = 0
    public private(set) var ejectedUntil: Int64 = 0

    public init() {}

    /// Whether requests may go to the backend at `now`.
    @inline(__always)
    public func isAvailable(now: Int64) -> Bool { now >= ejectedUntil }

    public mutating func recordSuccess() {
        failures = 0
        ejections = 0
        ejectedUntil = 0
    }

    /// Records a failure at `now`; returns true when it ejects the backend.
    public mutating func recordFailure(now: Int64) -> Bool {
        failures += 1
        // A backend back from an ejection gets one chance, not `threshold`.
        guard failures >= Self.threshold || ejections > 0 else { return false }
        let backoff = min(Self.baseBackoffMs << Int64(min(ejections, 16)), Self.maxBackoffMs)
        ejections += 1
        failures = 0
        ejectedUntil = now + backoff
        return true
    }
}
