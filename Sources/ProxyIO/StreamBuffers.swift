import HTTP1
import HTTP2

/// The buffers and readers of one HTTP/2 stream's exchange. When the exchange is over its
/// connection keeps them (emptied, with their storage) for the next stream, so that a stream
/// allocates little more than its own object; the connection frees them once no stream has
/// been open for a second (`HTTP2ClientConnection.releaseAfterMs`).
/// A class: `ByteBuffer` is not copyable, and the connection keeps these in an array.
///
/// Large DATA payloads go out from `fromBackend` without a copy: while `pendingPayloads > 0`
/// its bytes before `pinnedEnd` are not written over, moved or freed (the frames' writer holds
/// this object).
final class StreamBuffers: PayloadOwner {
    /// The request as an HTTP/1.1 head (the parsed `requests.request` points into it).
    var head = ByteBuffer()
    var requests = MessageReader(isRequest: true)
    var responses = MessageReader(isRequest: false)
    var toBackend = ByteBuffer()
    var fromBackend = ByteBuffer()
    var requestID = ByteBuffer()
    var stickyKey = ByteBuffer()
    /// The access log's method and path.
    var logRequest = ByteBuffer()
    /// A response Sluice made itself, waiting for window.
    var ownBody = ByteBuffer()
    /// The response's trailer section as read so far (bounded by the chunked decoder to 16 KiB).
    var trailerSection = ByteBuffer()
    var pendingPayloads = 0
    /// Where the bytes of `fromBackend` sent without a copy end.
    var pinnedEnd = 0
    /// A stream that waits to read its backend until the payloads are written.
    weak var waitingForPayloads: StreamExchange?

    /// Empties every buffer and reader for the next stream; the storage stays.
    func clear() {
        head.clear()
        requests.reset()
        responses.reset()
        toBackend.clear()
        fromBackend.clear()
        requestID.clear()
        stickyKey.clear()
        logRequest.clear()
        ownBody.clear()
        trailerSection.clear()
    }
}
