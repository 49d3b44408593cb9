public import HTTP2
public import HTTP1

/// Settings of the proxy process that are not per route.
public struct ServerSettings: Sendable {
    /// Client must send a complete request head within this time (408 after it).
    public var clientHeaderTimeoutMs: Int64 = 10_000
    /// Client must keep a request body moving: longest pause between reads.
    public var clientBodyTimeoutMs: Int64 = 60_000
    /// An idle keep-alive client connection is closed after this time.
    public var clientIdleTimeoutMs: Int64 = 60_000
    /// On shutdown, in-flight exchanges get this long to finish.
    public var drainTimeoutMs: Int64 = 30_000
    /// Client connections one worker serves at once; more wait in the listen backlog. `sluice
    /// serve` derives the default from the open-file limit (`FileDescriptorBudget`).
    public var maxConnectionsPerWorker = 10_000
    /// Connections one worker keeps busy on one backend at once; at the limit the backend
    /// is skipped like an unhealthy one. No limit by default.
    public var maxConnectionsPerBackend = Int.max
    public var limits = Limits()
    /// Where access-log lines go; nil writes none (the demo's live view).
    public var accessLog: LogSink? = .stdout
    /// TLS to `https://` backends (and their health checks); nil: they cannot be reached.
    public var backendTLS: TLSClientContext?
    /// HTTP/2 to clients: ALPN `h2` on the TLS listener (set in its `TLSContext`) and prior
    /// knowledge on the plain one; off, every connection speaks HTTP/1.1.
    public var http2 = true
    /// The limits each HTTP/2 client connection enforces.
    public var http2Limits = HTTP2Configuration()

    public init() {}
}
