/// The limits one HTTP/2 connection enforces and advertises, with the defaults the proxy uses.
public struct HTTP2Configuration: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS: streams open at once; more are refused (REFUSED_STREAM).
    public var maxConcurrentStreams = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on a stream before the proxy has
    /// passed it on. Not below the protocol default of 65,535 (it applies before the ACK).
    public var initialWindowSize = 65_535
    /// The connection's receive window: what a client may send on all streams together before
    /// the proxy has passed it on; with the output buffer it bounds a connection's memory.
    public var connectionWindowSize = 1 << 20
    /// SETTINGS_MAX_FRAME_SIZE.
    public var maxFrameSize = 16_384
    /// SETTINGS_MAX_HEADER_LIST_SIZE, counted as RFC 9113 does (name + value + 32 per field).
    public var maxHeaderListSize = 32 * 1024
    /// SETTINGS_HEADER_TABLE_SIZE for the decoder, and the encoder's preferred size.
    public var headerTableSize = 4096
    /// The largest compressed header block (HEADERS + CONTINUATION) accepted.
    public var maxHeaderBlockSize = 64 * 1024
    /// CONTINUATION frames allowed in one header block (CVE-2024-27316).
    public var maxContinuationFrames = 32
    /// Streams a client may reset, or have refused, before GOAWAY (CVE-2023-44487).
    public var resetBudget = RateBudget(burst: 200, perSecond: 100)
    /// SETTINGS frames and PINGs a client may send (each makes us write an ACK).
    public var settingsBudget = RateBudget(burst: 32, perSecond: 8)
    public var pingBudget = RateBudget(burst: 32, perSecond: 8)
    /// Frames that carry nothing: empty DATA or header fragments without an end, unknown types.
    public var emptyFrameBudget = RateBudget(burst: 100, perSecond: 50)
    /// How long a stream may have data to send and no window to send it in.
    public var stallTimeoutMs = 30_000

    public init() {}

    /// The SETTINGS frame's parameters.
    var settings: [Setting] {
        var s = [
            Setting(Setting.maxConcurrentStreams, UInt32(maxConcurrentStreams)),
            Setting(Setting.initialWindowSize, UInt32(initialWindowSize)),
            Setting(Setting.maxFrameSize, UInt32(maxFrameSize)),
            Setting(Setting.maxHeaderListSize, UInt32(maxHeaderListSize)),
        ]
        if headerTableSize != 4096 { s.append(Setting(Setting.headerTableSize, UInt32(headerTableSize))) }
        return s
    }
}
