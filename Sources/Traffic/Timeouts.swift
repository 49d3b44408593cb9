/// Backend-side time limits of a route.
public struct Timeouts: Hashable, Sendable {
    /// Time to establish the TCP connection to a backend.
    public var connectMs: Int
    /// Time from the end of sending the request to the first byte of the response head (then 504).
    public var firstByteMs: Int
    /// Time an idle keep-alive connection to a backend is kept in the pool.
    public var idleMs: Int

    public init(connectMs: Int = 1_000, firstByteMs: Int = 30_000, idleMs: Int = 60_000) {
        self.connectMs = connectMs
        self.firstByteMs = firstByteMs
        self.idleMs = idleMs
    }
}
