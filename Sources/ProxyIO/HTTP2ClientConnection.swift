import CLinuxShim
import HTTP1
import HTTP2
import ProxyCore
import Traffic

/// One HTTP/2 client connection (ALPN `h2`, or prior knowledge on the plain port): the I/O
/// shell around the pure `HTTP2Connection`, with one `StreamExchange` per request stream.
///
/// Every event (client socket, a stream's backend socket, a tick) ends in `pump()`, which
/// feeds the bytes read to the state machine and lets the streams it concerns move their
/// bytes (only those: a backend's event moves its own stream). The frames produced wait for
/// `flush()` at the end of the loop's iteration, which writes them in one go, moves the
/// streams that were waiting for room, and sets the client socket's epoll interest.
///
/// Memory is bounded: the socket is not read while `highWater` bytes of frames wait for it (the client is not reading),
/// request bodies are bounded by the receive windows (a stream's opens only as its backend
/// takes the bytes), and each stream reads its backend only while the client's windows and
/// `outbound` have room.
final class HTTP2ClientConnection: EventHandler {
    /// The client preface (RFC 9113 section 3.4) that marks prior knowledge on the plain port.
    static let prefaceStart: StaticString = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    /// Frames waiting for the client socket above which neither the client nor the backends
    /// are read.
    static let highWater = 256 * 1024
    static let readChunk = 16 * 1024
    /// Response body bytes sent as DATA at once from this many on go out from the stream's
    /// buffer without a copy (on a plain socket: TLS encrypts them into a buffer of its own).
    static let spliceMinimum = 4 * 1024
    /// At most this many pieces (frame bytes and payloads) go in one write.
    static let maxPieces = 64
    /// A connection without a stream open for this long frees its output buffers and its
    /// streams' spare buffers (until then the next streams reuse them: warm memory, no
    /// allocation, no regrowing).
    static let releaseAfterMs: Int64 = 1_000

    unowned(unsafe) let worker: Worker
    let tls: TLSStream?
    let peer: IPAddress
    let peerText: PeerText
    var h2: HTTP2Connection
    private var inbuf = ByteBuffer()
    /// The open streams' exchanges, in the order they started (at most `maxConcurrentStreams`).
    private var streams: [StreamExchange] = []
    /// Streams with something to do: advanced in the next `process()` (each once: `isReady`).
    private var ready: [StreamExchange] = []
    private var advancing: [StreamExchange] = []
    /// Streams that finished since `streams` was last swept.
    private var finishedStreams = 0
    /// The buffers of finished streams, emptied, for the next ones (at most
    /// `maxConcurrentStreams`; freed after `releaseAfterMs` without a stream open).
    private var spareBuffers: [StreamBuffers] = []
    /// A response head being built (reused by every stream).
    var fields = HeaderList()
    private var clientEOF = false
    private var closed = false
    /// The connection ended: what is left of `outbound` (and close_notify) is being written
    /// until this deadline.
    private var closingDeadline: Int64?
    private var idleSince: Int64
    /// The frames being written to the client socket (while `h2` frames the next ones).
    private var outbound = OutboundBuffers()

    /// Takes over an accepted connection from the `ClientConnection` that read its first
    /// bytes (`input`, moved here); the worker's client count is unchanged.
    init(fd: Int32, worker: Worker, tls: TLSStream?, peer: IPAddress, peerText: PeerText, input: inout ByteBuffer) {
        self.worker = worker
        self.tls = tls
        self.peer = peer
        self.peerText = peerText
        self.h2 = HTTP2Connection(configuration: worker.settings.http2Limits)
        self.idleSince = worker.loop.now
        super.init(fd: fd)
        inbuf.reserve(max(input.readableBytes, Self.readChunk))
        inbuf.moveBytes(from: &input, limit: input.readableBytes)
    }

    /// Runs once, right after the hand-over: answers the bytes already read.
    func start() { pump() }

    var nowMs: Int { Int(worker.loop.now) }

    // MARK: Events

    override func handleEvent(_ events: UInt32) {
        if events & (shim_EPOLLIN | shim_EPOLLRDHUP | shim_EPOLLHUP | shim_EPOLLERR) != 0 {
            if clientEOF && events & (shim_EPOLLHUP | shim_EPOLLERR) != 0 { return close() }
            readClient()
            if tls?.wantsReadable == true { writeClient() }
        }
        if events & shim_EPOLLOUT != 0 {
            if tls?.wantsWritable == true { readClient() }
            writeClient()
        }
        pump()
    }

    override func tick(now: Int64) {
        guard !closed else { return }
        if let closingDeadline {
            if now >= closingDeadline { close() }
            return
        }
        for stream in streams { stream.tick(now: now) }
        markAllReady()
        apply(h2.tick(nowMs: nowMs))
        if streams.isEmpty && now - idleSince >= Self.releaseAfterMs {
            outbound.release(with: &h2)
            spareBuffers.removeAll()
        }
        if streams.isEmpty && now - idleSince >= worker.settings.clientIdleTimeoutMs { apply(h2.shutdown()) }
        pump()
    }

    /// Shutdown: GOAWAY naming the last stream taken; the open streams finish, then the
    /// connection closes.
    override func drain() {
        guard !closed else { return }
        apply(h2.shutdown())
        pump()
    }

    /// A reload: GOAWAY as on shutdown, so that the client opens a new connection (with the
    /// reloaded certificates) for its next requests while the open streams finish here.
    override func reloaded() { drain() }

    // MARK: Socket I/O

    private func readClient() {
        guard !clientEOF, closingDeadline == nil, hasRoom,
              inbuf.readableBytes < worker.settings.http2Limits.maxFrameSize + 9 + Self.readChunk else { return }
        inbuf.reserve(Self.readChunk)
        let result = if let tls { tls.read(inbuf.writable) } else { Syscall.read(fd, inbuf.writable) }
        switch result {
        case .done(let n):
            inbuf.didWrite(n)
        case .eof:
            clientEOF = true
        case .wouldBlock:
            break
        case .failed:
            close()
        }
    }

    /// Writes the frames produced so far, as many as the socket takes: on a plain socket
    /// until a short write (its send buffer is full), over TLS until it would block. Returns
    /// whether any byte went.
    @discardableResult
    private func writeClient() -> Bool {
        guard !closed else { return false }
        let hadRoom = hasRoom
        defer { if !hadRoom && hasRoom { markAllReady() } }
        var wrote = false
        outbound.take(from: &h2)
        while !outbound.isEmpty {
            // Over TLS there are no splices (`spliceMinimum`): the first piece is all there is.
            let result = outbound.withUnwrittenPieces(limit: Self.maxPieces) { pieces in
                if let tls { tls.write(pieces[0]) } else { Syscall.write(fd, pieces) }
            }
            switch result {
            case .done(let n):
                wrote = true
                if outbound.didWrite(n, released: payloadsWritten) {
                    outbound.take(from: &h2)
                } else if tls == nil {
                    return true
                }
            case .wouldBlock, .eof:
                return wrote
            case .failed:
                close()
                return wrote
            }
        }
        return wrote
    }

    /// A stream's buffers have no DATA payload left to write: if the stream waits to read
    /// its backend into them, it may now.
    private func payloadsWritten(_ owner: any PayloadOwner) {
        guard let buffers = owner as? StreamBuffers, let stream = buffers.waitingForPayloads else { return }
        buffers.waitingForPayloads = nil
        markReady(stream)
    }

    // MARK: The pump

    /// Runs after every event: moves what can move without writing; the frames wait for
    /// `flush` at the end of the loop's iteration.
    func pump() {
        guard !closed else { return }
        process()
        worker.loop.flushLater(self)
    }

    /// A stream's backend socket had an event (its bytes already moved): advances it.
    func streamMoved(_ stream: StreamExchange) {
        markReady(stream)
        pump()
    }

    /// Runs at the end of a loop iteration that pumped: writes the frames; while writing
    /// makes room, moves what waited for it and writes again. Then ends the connection if it
    /// is over, or sets its epoll interest.
    override func flush() {
        while !closed && writeClient() && process() {}
        guard !closed else { return }
        sweepFinishedStreams()
        if closingDeadline == nil {
            // A stream that just ended may have been the last of a draining connection.
            if !h2.isClosed && h2.openStreams == 0 { apply(h2.tick(nowMs: nowMs)) }
            if clientEOF && inbuf.isEmpty && !h2.isClosed {
                // The client is gone (or will send nothing more): nothing more can be answered.
                return close()
            }
            if h2.isClosed { enterClosing() }
        }
        if let _ = closingDeadline, unwritten == 0 {
            // Over TLS, close_notify goes first; it may wait for the socket to be writable.
            if tls?.shutdown() != false { return close() }
        }
        updateInterest()
    }

    /// Feeds the client's bytes to the state machine while there is room for what it answers,
    /// and advances the ready streams, until neither moves. Returns whether anything did.
    @discardableResult
    private func process() -> Bool {
        var moved = false
        while !closed {
            let received = closingDeadline == nil && !inbuf.isEmpty && hasRoom && receive()
            guard received || !ready.isEmpty else { break }
            moved = true
            swap(&ready, &advancing)
            for stream in advancing {
                stream.isReady = false
                stream.advance()
            }
            advancing.removeAll(keepingCapacity: true)
        }
        return moved
    }

    /// Drops the finished streams from `streams`: once per flush, not per finished stream
    /// (until then they are skipped: `isDone`).
    private func sweepFinishedStreams() {
        guard finishedStreams > 0 else { return }
        finishedStreams = 0
        for stream in streams where stream.isDone && spareBuffers.count < h2.configuration.maxConcurrentStreams {
            stream.buffers.clear()
            spareBuffers.append(stream.buffers)
        }
        streams.removeAll { $0.isDone }
        if streams.isEmpty { idleSince = worker.loop.now }
    }

    /// A stream's exchange, with spare buffers when there are.
    private func newStream(_ id: UInt32) -> StreamExchange {
        // Only buffers whose payloads are all written: the others cannot be read into yet.
        let spare = spareBuffers.lastIndex { $0.pendingPayloads == 0 }
        let stream = StreamExchange(id: id, connection: self, buffers: spare.map { spareBuffers.remove(at: $0) } ?? StreamBuffers())
        streams.append(stream)
        return stream
    }

    private func markReady(_ stream: StreamExchange) {
        guard !stream.isReady && !stream.isDone else { return }
        stream.isReady = true
        ready.append(stream)
    }

    /// Every stream may move (the connection's send window or room grew, a tick passed).
    private func markAllReady() {
        for stream in streams { markReady(stream) }
    }

    /// A stream finished (logged): it leaves `streams` at the next flush.
    func streamFinished() { finishedStreams += 1 }

    /// Feeds the unread bytes to the state machine and hands its events to the streams.
    /// Returns whether any byte was used.
    private func receive() -> Bool {
        let buf = inbuf.readable
        let out = h2.receive(buf, nowMs: nowMs)
        for event in out.events { dispatch(event, buf) }
        inbuf.consume(out.consumed)
        if out.close { enterClosing() }
        return out.consumed > 0
    }

    private func dispatch(_ event: HTTP2Connection.Event, _ buf: UnsafeRawBufferPointer) {
        switch event {
        case .request(let id, let request, let endStream):
            let stream = newStream(id)
            stream.start(request, endStream: endStream)
            markReady(stream)
        case .requestHeadersTooLarge(let id, let endStream):
            let stream = newStream(id)
            stream.refuse(431, "request header fields too large", requestEnded: endStream)
            markReady(stream)
        case .data(let id, let range, let endStream):
            if let stream = stream(id) {
                stream.receiveBody(UnsafeRawBufferPointer(rebasing: buf[range]), endStream: endStream)
                markReady(stream)
            } else if !range.isEmpty {
                // The exchange is over (answered before the body ended): the bytes are dropped.
                apply(h2.dataConsumed(id, count: range.count))
            }
        case .trailers(let id, let list):
            if let stream = stream(id) {
                stream.receiveTrailers(list)
                markReady(stream)
            }
        case .reset(let id, _):
            stream(id)?.streamReset()
        case .sendWindowOpened(let id):
            if id == 0 {
                markAllReady()
            } else if let stream = stream(id) {
                markReady(stream)
            }
        case .peerGoingAway:
            break
        }
    }

    private func stream(_ id: UInt32) -> StreamExchange? {
        streams.first { $0.id == id && !$0.isDone }
    }

    /// Acts on what a call to the state machine returned outside `receive` (its stream
    /// events there are resets of streams already answered).
    func apply(_ out: HTTP2Connection.Output) {
        for event in out.events { if case .reset(let id, _) = event { stream(id)?.streamReset() } }
        if out.close { enterClosing() }
    }

    private func updateInterest() {
        var events: UInt32 = 0
        if !clientEOF && closingDeadline == nil && hasRoom { events |= shim_EPOLLIN | shim_EPOLLRDHUP }
        if unwritten > 0 { events |= shim_EPOLLOUT }
        if let tls {
            if tls.wantsWritable { events |= shim_EPOLLOUT }
            if tls.wantsReadable { events |= shim_EPOLLIN }
        }
        worker.loop.setEvents(self, events)
    }

    /// Whether the client socket can take more frames now (streams stop reading their
    /// backends while it cannot).
    var hasRoom: Bool { unwritten < Self.highWater }

    /// Frames produced and not yet written.
    private var unwritten: Int { outbound.count + h2.outboundCount }

    // MARK: Closing

    /// The connection is over (GOAWAY sent, or our last stream of a drain ended): the
    /// streams still open end with the client gone, and what is queued gets a few seconds.
    private func enterClosing() {
        guard closingDeadline == nil else { return }
        closingDeadline = worker.loop.now + 5_000
        endStreams()
    }

    /// The connection is over: every open stream ends with the client gone.
    private func endStreams() {
        for stream in streams { stream.connectionGone() }
        streams.removeAll()
        ready.removeAll()
        finishedStreams = 0
        spareBuffers.removeAll()
    }

    func close() {
        guard !closed else { return }
        closed = true
        endStreams()
        worker.loop.close(self)
        worker.clientClosed()
    }
}
