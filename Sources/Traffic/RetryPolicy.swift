/// When a request that failed before any byte reached a backend is tried again: on another
/// backend of the same pool, then of the stable pool.
public struct RetryPolicy: Hashable, Sendable {
    /// Retries after the first try, 0...10.
    public var attempts: Int
    /// Retry when the TCP connection to the backend could not be established.
    public var onConnectFailure: Bool
    /// Retry when the backend connection was closed or reset before any response byte arrived.
    public var onResetBeforeResponse: Bool

    public init(attempts: Int = 2, onConnectFailure: Bool = true, onResetBeforeResponse: Bool = true) {
        self.attempts = attempts
        self.onConnectFailure = onConnectFailure
        self.onResetBeforeResponse = onResetBeforeResponse
    }
}
