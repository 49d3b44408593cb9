/// One frame as the parser found it. Payload parts are ranges of the buffer the parser was
/// given, so nothing is copied; they are valid until the caller consumes those bytes.
public enum Frame: Equatable, Sendable {
    /// `data` excludes padding; `flowLength` is the whole payload, which flow control counts.
    case data(stream: UInt32, data: Range<Int>, endStream: Bool, flowLength: Int)
    /// `block` is the header block fragment without padding and priority fields.
    case headers(stream: UInt32, block: Range<Int>, endStream: Bool, endHeaders: Bool, priority: Priority?)
    case priority(stream: UInt32, Priority)
    case rstStream(stream: UInt32, code: HTTP2ErrorCode)
    /// The parameters, already checked against section 6.5.2 (empty for an ACK).
    case settings(ack: Bool, [Setting])
    case pushPromise(stream: UInt32)
    case ping(ack: Bool, opaque: UInt64)
    case goaway(lastStream: UInt32, code: HTTP2ErrorCode, debug: Range<Int>)
    case windowUpdate(stream: UInt32, increment: UInt32)
    case continuation(stream: UInt32, block: Range<Int>, endHeaders: Bool)
    /// A frame of a type this module does not know; it must be ignored (section 4.1).
    case unknown(type: UInt8, stream: UInt32, length: Int)

    /// The deprecated priority fields of HEADERS and PRIORITY (RFC 9113 section 5.3.2).
    public struct Priority: Equatable, Sendable {
        public var dependency: UInt32
        public var exclusive: Bool
        public var weight: UInt8
    }
}

/// One SETTINGS parameter (RFC 9113 section 6.5.2). Unknown identifiers are kept: a receiver
/// ignores them.
public struct Setting: Equatable, Sendable {
    public var id: UInt16
    public var value: UInt32

    public init(_ id: UInt16, _ value: UInt32) {
        self.id = id
        self.value = value
    }

    public static let headerTableSize: UInt16 = 0x1
    public static let enablePush: UInt16 = 0x2
    public static let maxConcurrentStreams: UInt16 = 0x3
    public static let initialWindowSize: UInt16 = 0x4
    public static let maxFrameSize: UInt16 = 0x5
    public static let maxHeaderListSize: UInt16 = 0x6
}
