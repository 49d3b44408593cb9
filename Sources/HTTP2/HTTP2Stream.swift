/// One open stream as the connection tracks it (RFC 9113 section 5.1). A stream that is idle
/// or closed has no record: idle ones are above the highest id seen, recently closed ones are
/// remembered in `ClosedStreams`.
struct HTTP2Stream: Sendable {
    /// What the client may still send.
    enum Remote: Equatable, Sendable {
        /// The request's body may follow; DATA must add up to `contentLength` if one was given.
        case open(contentLength: Int?, received: Int)
        /// END_STREAM received: half-closed (remote).
        case closed
    }

    /// What the proxy may still send.
    enum Local: Equatable, Sendable {
        case awaitingHeaders
        case sendingBody
        /// END_STREAM sent: half-closed (local).
        case closed
    }

    var remote: Remote
    var local: Local = .awaitingHeaders
    /// What the proxy may still send on this stream (may go negative after a SETTINGS change).
    var sendWindow: Int
    /// What the client may still send on this stream.
    var receiveWindow: Int
    /// Body bytes delivered in `.data` events and not yet reported by `dataConsumed`; returned
    /// to the connection window when the stream goes away.
    var outstanding = 0
    /// Bytes passed on (or dropped) and not yet returned to the client with WINDOW_UPDATE.
    var unacknowledged = 0
    /// Since when the proxy has had data for this stream and no window to send any of it.
    var blockedSinceMs: Int?

    var isClosed: Bool { remote == .closed && local == .closed }
}

/// How a stream that no longer has a record was closed: decides what a late frame on it means.
enum ClosedHow: Equatable, Sendable {
    /// We sent RST_STREAM: late frames are ignored (section 5.4.2).
    case resetByUs
    /// The client sent RST_STREAM: a later frame is a stream error STREAM_CLOSED.
    case resetByPeer
    /// Both sides ended it: a later frame is a connection error STREAM_CLOSED.
    case ended
}

/// The last `capacity` closed streams, oldest overwritten first. Bounded: a stream closed
/// longer ago is treated like one that ended.
struct ClosedStreams: Sendable {
    private var ids: [UInt32]
    private var hows: [ClosedHow]
    private var next = 0

    init(capacity: Int = 128) {
        ids = [UInt32](repeating: 0, count: capacity)
        hows = [ClosedHow](repeating: .ended, count: capacity)
    }

    mutating func add(_ id: UInt32, _ how: ClosedHow) {
        ids[next] = id
        hows[next] = how
        next = (next + 1) % ids.count
    }

    func lookup(_ id: UInt32) -> ClosedHow? {
        ids.firstIndex(of: id).map { hows[$0] }
    }
}
