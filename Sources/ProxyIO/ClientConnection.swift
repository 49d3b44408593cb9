import CLinuxShim
import HTTP1
import ProxyCore
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// One client connection and the exchange it is in: reads request heads, picks a pool
/// and backend per request, streams both bodies with back-pressure, and answers pipelined
/// requests one at a time, in order.
///
/// The shell around the pure parts: the `MessageReader`s frame the messages and the
/// `Exchange` decides tries, deadlines and the `Outcome`; this class keeps the buffers, the
/// syscalls, TLS and epoll interest, and does what they answer. Every event (client or
/// backend socket) ends in `pump()`, which moves whatever can move and then sets the epoll
/// interest of both sockets from the buffer levels. Memory is bounded: no buffer is read
/// into past `maxBuffered` and no output buffer is filled past `highWater`.
final class ClientConnection: EventHandler {
    enum Phase { case awaitingHead, exchange, tunnel, closing, closed }

    static let highWater = 64 * 1024
    static let maxBuffered = 64 * 1024
    /// Read size for heads (and the bytes after them); a streaming body reads up to `maxBuffered`.
    static let readChunk = 16 * 1024
    /// Room left in front of what is read into an empty `fromBackend`, for the response head
    /// (rewritten, usually longer) to go in front of the body there instead of the body being
    /// copied after the head (see `moveBodyToClient`).
    static let headroom = 512
    /// A length-framed body batch (either way) from this size on trades buffers instead of
    /// being copied.
    static let tradeMinimum = 4096
    /// Request body bytes read and dropped after an early response before the connection
    /// is closed instead.
    static let maxDiscard = 1 << 20

    /// Unchecked: the worker owns the loop that owns this handler, and closes every handler
    /// before it goes, so the reference is always valid (and reading it costs no refcount).
    unowned(unsafe) let worker: Worker
    /// The TLS layer for a connection accepted on the TLS listener, nil for plain HTTP.
    let tls: TLSStream?
    let peer: IPAddress
    /// The peer address as text, for X-Forwarded-For and the access log.
    let peerText: PeerText

    // Buffers hold no storage until traffic needs it; after a second of keep-alive idleness
    // the connection is parked (`park()`) and this object is freed with them.
    var inbuf = ByteBuffer()
    var toClient = ByteBuffer()
    var toBackend = ByteBuffer()
    var fromBackend = ByteBuffer()
    /// Requests from the client (heads, then bodies), and responses from the backend.
    var requests = MessageReader(isRequest: true)
    var responses = MessageReader(isRequest: false)

    var phase = Phase.awaitingHead
    var clientEOF = false
    /// Client deadline (header, body, idle or lingering close), monotonic ms.
    var deadline: Int64

    // The current exchange.
    /// The routing the exchange started with (a reload never changes it mid-request).
    var routing: WorkerRouting
    /// The backend side's state: tries, deadlines, the outcome.
    var exchange = Exchange(retries: RetryPolicy(), timeouts: Timeouts(), requestHasBody: false, wantsUpgrade: false)
    var backend: BackendConnection?
    var backendEOF = false
    var routeIndex = -1
    var pool = Pool.blue
    var forced = false
    var backendIndex = -1
    var tried = TriedBackends()
    var discardedBody = 0
    var requestHeadLength = 0
    /// Bytes of this exchange's response written to the client socket (the access log's
    /// `bytes_sent`; while 0, a proxy error can still replace what is queued).
    var sentToClient = 0
    var chunkToClient = false
    var closeAfterExchange = false
    var startMicros: Int64 = 0
    var requestID = ByteBuffer()
    var stickyKey = ByteBuffer()
    var newStickyKey = false
    /// Method and path of the current request, JSON-escaped, for the access log.
    var logRequest = ByteBuffer()
    /// When the connection last went idle between requests (monotonic ms).
    var idleSince: Int64
    /// Whether the connection is known to speak HTTP/1.1: decided at its first bytes (ALPN,
    /// or the HTTP/2 preface on the plain port), after which it is never looked at again.
    var protocolDecided: Bool

    /// A connection just accepted: it must send a request head within the header timeout.
    convenience init(fd: Int32, peer: IPAddress, worker: Worker, tls: TLSStream?) {
        self.init(fd: fd, worker: worker, tls: tls, peer: peer, deadline: worker.loop.now + worker.settings.clientHeaderTimeoutMs,
                  protocolDecided: !worker.settings.http2)
        handshaking = tls != nil
        worker.clientOpened()
    }

    /// A parked connection woken by an event: idle, with the parked idle deadline.
    convenience init(waking parked: ParkedClient) {
        self.init(fd: parked.fd, worker: parked.worker, tls: parked.tls, peer: parked.peer, deadline: parked.deadline, protocolDecided: true)
    }

    private init(fd: Int32, worker: Worker, tls: TLSStream?, peer: IPAddress, deadline: Int64, protocolDecided: Bool) {
        self.worker = worker
        self.protocolDecided = protocolDecided
        self.tls = tls
        self.peer = peer
        self.peerText = PeerText(peer)
        self.deadline = deadline
        self.idleSince = worker.loop.now
        self.routing = worker.routing
        super.init(fd: fd)
    }

    var routeEntry: RoutingSnapshot.RouteEntry { routing.snapshot.routes[routeIndex] }

    // MARK: Events

    override func handleEvent(_ events: UInt32) {
        if events & (shim_EPOLLIN | shim_EPOLLRDHUP | shim_EPOLLHUP | shim_EPOLLERR) != 0 {
            if clientEOF && events & (shim_EPOLLHUP | shim_EPOLLERR) != 0 { return abort() }
            readClient()
            if tls?.wantsReadable == true { writeClient() }
        }
        if events & shim_EPOLLOUT != 0 {
            if tls?.wantsWritable == true { readClient() }
            writeClient()
        }
        pump()
    }

    /// Called by the backend connection of the current exchange.
    func backendEvent(_ events: UInt32) {
        guard let b = backend else { return }
        if b.connecting {
            let error = shim_socket_error(b.fd)
            if error != 0 { backendFailed(.closed); pump(); return }
            if events & shim_EPOLLOUT != 0 {
                b.connecting = false
                exchange.connected(now: worker.loop.now)
            } else {
                return
            }
        }
        if events & shim_EPOLLOUT != 0 {
            if b.tls?.wantsWritable == true { readBackend() }
            writeBackend()
        }
        if events & (shim_EPOLLIN | shim_EPOLLRDHUP | shim_EPOLLHUP | shim_EPOLLERR) != 0 {
            readBackend()
            if b.tls?.wantsReadable == true { writeBackend() }
        }
        pump()
    }

    override func tick(now: Int64) {
        switch phase {
        case .awaitingHead:
            if now - idleSince >= 1_000 && now < deadline && park() { return }
            guard now >= deadline else { return }
            if inbuf.readableBytes > 0 {
                respondError(Outcome(.proxy, .rejected, status: 408), "request head not received in time", close: true)
                pump()
            } else {
                close()
            }
        case .exchange:
            if backend != nil, let failure = exchange.tick(now: now, clientSawNothing: sentToClient == 0) {
                handle(failure)
                pump()
            } else if requestBodyPending && now >= deadline {
                refuseRequest(408, "request body not received in time")
                pump()
            }
        case .tunnel:
            break
        case .closing:
            if now >= deadline { close() }
        case .closed:
            break
        }
    }

    /// Hands the socket of a connection idle between requests to a `ParkedClient` in the
    /// loop's table, which frees this object and every buffer; returns false (and parks
    /// nothing) while any byte is buffered or the TLS layer waits for the socket.
    private func park() -> Bool {
        guard phase == .awaitingHead, inbuf.isEmpty, toClient.isEmpty, backend == nil,
              tls?.wantsReadable != true, tls?.wantsWritable != true else { return false }
        let parked = ParkedClient(fd: fd, worker: worker, tls: tls, peer: peer, deadline: deadline)
        worker.loop.replace(self, with: parked)
        worker.buffersFreed = true
        return true
    }

    /// Shutdown: close now if idle (nothing received, nothing arrived in the socket), else
    /// answer the request under way and close after it.
    override func drain() {
        closeAfterExchange = true
        if phase == .awaitingHead && inbuf.isEmpty { readClient() }
        if phase == .awaitingHead && inbuf.isEmpty {
            close()
        } else {
            pump()
        }
    }

    // MARK: Socket I/O

    private func readClient() {
        guard !clientEOF, phase != .closing, phase != .closed, inbuf.readableBytes < Self.maxBuffered else { return }
        let wasEmpty = inbuf.isEmpty
        // A request body streaming through is read in up to 64 KiB at a time; heads in 16 KiB.
        let streaming = phase == .exchange && requestBodyPending
        inbuf.reserve(streaming ? Self.maxBuffered - inbuf.readableBytes : Self.readChunk)
        let result = if let tls { tls.read(inbuf.writable) } else { Syscall.read(fd, inbuf.writable) }
        switch result {
        case .done(let n):
            inbuf.didWrite(n)
            handshaking = false // bytes came through TLS: the handshake is over
            if !protocolDecided && handOverIfHTTP2() { return }
            if phase == .exchange {
                deadline = worker.loop.now + worker.settings.clientBodyTimeoutMs
            } else if phase == .awaitingHead && wasEmpty {
                deadline = worker.loop.now + worker.settings.clientHeaderTimeoutMs
            }
        case .eof:
            clientEOF = true
        case .wouldBlock:
            break
        case .failed:
            abort()
        }
    }

    /// Runs at the first bytes read (with HTTP/2 on): a connection whose TLS handshake chose
    /// ALPN `h2`, or a plain one that starts with the HTTP/2 preface, goes to an
    /// `HTTP2ClientConnection` in this handler's place, with the bytes read; this object is
    /// then done (`phase` closed, socket kept). Returns whether it was handed over. While
    /// the few bytes read could still be either, the decision waits for more.
    @inline(never) // once per connection: kept out of the read path
    private func handOverIfHTTP2() -> Bool {
        let h2: Bool
        if let tls {
            h2 = tls.negotiatedH2
        } else {
            let preface = HTTP2ClientConnection.prefaceStart
            let n = min(inbuf.readableBytes, preface.utf8CodeUnitCount)
            guard memcmp(inbuf.readable.baseAddress!, preface.utf8Start, n) == 0 else {
                protocolDecided = true
                return false
            }
            if n < preface.utf8CodeUnitCount { return false }
            h2 = true
        }
        protocolDecided = true
        guard h2 else { return false }
        phase = .closed
        let connection = HTTP2ClientConnection(fd: fd, worker: worker, tls: tls, peer: peer, peerText: peerText, input: &inbuf)
        worker.loop.replace(self, with: connection)
        connection.start()
        return true
    }

    /// Writes as much of `toClient` as the socket takes; returns whether any byte went.
    @discardableResult
    func writeClient() -> Bool {
        var wrote = false
        while toClient.readableBytes > 0 {
            let result = if let tls { tls.write(toClient.readable) } else { Syscall.write(fd, toClient.readable) }
            switch result {
            case .done(let n):
                toClient.consume(n)
                sentToClient &+= n
                wrote = true
            case .wouldBlock, .eof:
                return wrote
            case .failed:
                abort()
                return wrote
            }
        }
        return wrote
    }

    /// Reads what the backend has sent while `fromBackend` holds less than `maxBuffered`
    /// (so at most one read past it): 16 KiB first (a head, and a small response whole),
    /// then, after a read that filled its space or once a body streams, up to `maxBuffered`
    /// at a time, so that a large response reaches the client in as few writes as possible.
    private func readBackend() {
        guard let b = backend else { return }
        var want = responses.readingHead ? Self.readChunk : Self.maxBuffered
        while !backendEOF && fromBackend.readableBytes < Self.maxBuffered {
            fromBackend.reserve(want)
            if fromBackend.isEmpty { fromBackend.clear(leavingHeadroom: Self.headroom) }
            let space = fromBackend.writableBytes
            let result = if let tls = b.tls { tls.read(fromBackend.writable) } else { Syscall.read(b.fd, fromBackend.writable) }
            switch result {
            case .done(let n):
                fromBackend.didWrite(n)
                b.readSinceAcknowledged = true
                exchange.responseRead(now: worker.loop.now)
                if n < space { return }
                want = Self.maxBuffered
            case .eof, .failed:
                backendEOF = true
            case .wouldBlock:
                return
            }
        }
    }

    /// Writes as much of `toBackend` as the socket takes; returns whether any byte went.
    @discardableResult
    func writeBackend() -> Bool {
        // Not `BackendConnection.send` (which HTTP/2 streams use): its inout access to two of
        // this object's properties costs this hot path about 100 instructions per request.
        guard let b = backend, !b.connecting else { return false }
        var wrote = false
        while toBackend.readableBytes > 0 {
            let result = if let tls = b.tls { tls.write(toBackend.readable) } else { Syscall.write(b.fd, toBackend.readable) }
            switch result {
            case .done(let n):
                toBackend.consume(n)
                wrote = true
                exchange.requestSent(now: worker.loop.now)
            case .wouldBlock, .eof:
                return wrote
            case .failed:
                backendEOF = true
                return wrote
            }
        }
        return wrote
    }

    // MARK: The pump

    /// Moves everything that can move, then updates epoll interest. Runs after every event.
    func pump() {
        var progress = true
        while progress && phase != .closed {
            progress = false
            switch phase {
            case .awaitingHead:
                switch inbuf.isEmpty ? .needMore : requests.read(inbuf.readable, eof: false, limits: worker.settings.limits) {
                case .needMore, .body:
                    break
                case .head(let headEnd):
                    startExchange(headEnd: headEnd)
                    progress = true
                case .headError(let error):
                    respondError(Outcome(.proxy, .rejected, status: error.status), error.reasonText, close: true)
                    progress = true
                }
                if phase == .awaitingHead && clientEOF { return close() }
            case .exchange:
                progress = advanceExchange()
            case .tunnel:
                progress = advanceTunnel()
            case .closing:
                writeClient()
                if phase == .closing && toClient.isEmpty {
                    // Over TLS, close_notify goes first; it may wait for the socket to be writable.
                    if tls?.shutdown() == false { break }
                    return close()
                }
            case .closed:
                return
            }
        }
        if phase != .closed { updateInterest() }
    }

    private func updateInterest() {
        var events: UInt32 = 0
        if !clientEOF && phase != .closing && inbuf.readableBytes < Self.maxBuffered {
            events |= shim_EPOLLIN | shim_EPOLLRDHUP
        }
        if toClient.readableBytes > 0 { events |= shim_EPOLLOUT }
        if let tls {
            if tls.wantsWritable { events |= shim_EPOLLOUT }
            if tls.wantsReadable { events |= shim_EPOLLIN }
        }
        worker.loop.setEvents(self, events)
        guard let b = backend else { return }
        var backendEvents: UInt32 = 0
        if b.connecting {
            backendEvents = shim_EPOLLOUT
        } else {
            if !backendEOF && fromBackend.readableBytes < Self.maxBuffered && toClient.readableBytes < Self.highWater {
                backendEvents |= shim_EPOLLIN | shim_EPOLLRDHUP
            }
            if toBackend.readableBytes > 0 { backendEvents |= shim_EPOLLOUT }
            // Still attached: the response is not over yet.
            b.acknowledgeReads()
            if let tls = b.tls {
                if tls.wantsWritable { backendEvents |= shim_EPOLLOUT }
                if tls.wantsReadable { backendEvents |= shim_EPOLLIN | shim_EPOLLRDHUP }
            }
        }
        worker.loop.setEvents(b, backendEvents)
    }

    // MARK: Closing

    /// Closes the client connection and the exchange's backend connection, if any.
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        detachBackend(reuse: false)
        worker.loop.close(self)
        worker.clientClosed()
    }

    /// Gives up on the connection without an answer (client gone, or a response that
    /// cannot be completed any more): the exchange under way, if any, ends with the client
    /// gone unless it already has its outcome.
    func abort() {
        if phase == .exchange || phase == .tunnel { logAccess(exchange.clientGone(), bytesSent: sentToClient) }
        close()
    }

    /// Ends the exchange's use of its backend connection: back to the idle pool with
    /// `reuse`, else closed. The one place a backend connection leaves an exchange.
    func detachBackend(reuse: Bool) {
        guard let b = backend else { return }
        b.owner = nil
        backend = nil
        routing.release(b.backend)
        if reuse { worker.putIdle(b) } else { worker.loop.close(b) }
    }

    /// The client may read our last bytes (and, over TLS, the close_notify alert) for a
    /// few seconds before the socket is closed.
    func enterClosing() {
        phase = .closing
        deadline = worker.loop.now + 5_000
    }
}

extension Timeouts {
    var firstByteMs64: Int64 { Int64(firstByteMs) }
    var connectMs64: Int64 { Int64(connectMs) }
    var idleMs64: Int64 { Int64(idleMs) }
}
