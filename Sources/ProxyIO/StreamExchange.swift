import CLinuxShim
import HTTP1
import HTTP2
import ProxyCore
import Traffic

/// One HTTP/2 request stream as an exchange with an HTTP/1.1 backend from the pools: routed,
/// its pool chosen, retried, judged, logged and counted like an HTTP/1.1 request.
///
/// The request's fields become an HTTP/1.1 head (`:authority` as Host, cookies joined), which
/// the HTTP/1.1 parser reads with its strict rules; from there the route match, `PoolChoice`,
/// `RequestRewrite` and the `Exchange` are the ones `ClientConnection` runs. The response head
/// becomes a HEADERS frame (`ResponseRewrite.passes` decides which fields go on), its body
/// DATA frames sent as the client's windows allow: the backend is read only while there is
/// window and room in the connection's output. The request body goes to the backend as it
/// arrives, and the client gets window back only once the backend took the bytes.
final class StreamExchange {
    /// Backend buffers' bound (request body bytes are also bounded by the stream's window).
    static let maxBuffered = 64 * 1024
    static let firstReadCapacity = maxBuffered + HTTP2ClientConnection.readChunk

    let id: UInt32
    /// Unchecked: the connection owns this object and drops it before it goes.
    unowned(unsafe) let connection: HTTP2ClientConnection
    var worker: Worker { connection.worker }

    /// The routing the exchange started with (a reload never changes it mid-request).
    private var routing: WorkerRouting
    private var exchange = Exchange(retries: RetryPolicy(), timeouts: Timeouts(), requestHasBody: false, wantsUpgrade: false)
    private var backend: BackendConnection?
    private var backendEOF = false
    /// Request body bytes received and not yet given back to the client's window.
    private var uncredited = 0
    /// The request body goes to the backend chunked (no content-length was given).
    private var chunkedRequest = false
    /// The client sent END_STREAM (or trailers).
    private var requestEnded = false
    /// Until the request has ended, the client must send more of its body by then
    /// (`--body-timeout` after the head and after each DATA frame), or it gets 408.
    private var bodyDeadline: Int64 = 0
    private var routeIndex = -1
    private var pool = Pool.blue
    private var forced = false
    private var backendIndex = -1
    private var tried = TriedBackends()
    private var requestHeadLength = 0
    private var startMicros: Int64
    private var newStickyKey = false
    /// The final response head went to the client.
    private var headSent = false
    /// Body bytes handed to the client's stream (the access log's `bytes_sent`).
    private var bytesSent = 0
    /// How the exchange ended, once it did; logged when the stream is done with.
    private var outcome: Outcome?
    /// Logged and finished: the connection drops it (and keeps `buffers` for another stream).
    private(set) var isDone = false
    let buffers: StreamBuffers
    /// In the connection's list of streams to advance.
    var isReady = false

    /// A new stream's exchange, with `buffers` (empty) from the connection.
    init(id: UInt32, connection: HTTP2ClientConnection, buffers: StreamBuffers) {
        self.id = id
        self.connection = connection
        self.buffers = buffers
        self.routing = connection.worker.routing
        self.startMicros = shim_monotonic_us()
    }

    // MARK: Events from the client

    /// A request arrived (its fields checked by `RequestFields`): runs once per stream. Makes
    /// the HTTP/1.1 head, routes it, picks pool and backend, and queues the rewritten head.
    func start(_ request: RequestFields, endStream: Bool) {
        requestEnded = endStream
        bodyDeadline = worker.loop.now + worker.settings.clientBodyTimeoutMs
        request.appendHTTP1Head(into: &buffers.head, endStream: endStream)
        let limits = worker.settings.limits
        switch buffers.requests.read(buffers.head.readable, eof: false, limits: limits) {
        case .head:
            break
        case .headError(let error):
            return refuse(error.status, error.reasonText, requestEnded: endStream)
        case .needMore, .body:
            return refuse(400, "bad request", requestEnded: endStream)
        }
        let buf = buffers.head.readable
        let clientID = buffers.requests.request.head.fields.first { $0.kind == .xRequestId }.map { UnsafeRawBufferPointer(rebasing: buf[$0.value]) }
        worker.ids.appendRequestID(client: clientID, to: &buffers.requestID)
        buffers.logRequest.appendJSONEscaped(UnsafeRawBufferPointer(rebasing: buf[buffers.requests.request.method]))
        buffers.logRequest.append(0)
        let target = buffers.requests.request.target
        var pathEnd = target.lowerBound
        while pathEnd < target.upperBound && buf[pathEnd] != UInt8(ascii: "?") { pathEnd += 1 }
        buffers.logRequest.appendJSONEscaped(UnsafeRawBufferPointer(rebasing: buf[target.lowerBound..<pathEnd]))
        let host = buffers.requests.request.head.hostIndex.map { UnsafeRawBufferPointer(rebasing: buf[buffers.requests.request.head.fields[$0].value]) }
        guard let route = routing.snapshot.table.match(host: host, path: UnsafeRawBufferPointer(rebasing: buf[target])) else {
            return respondError(Outcome(.proxy, .rejected, status: 404), "no route")
        }
        routeIndex = route
        let entry = routing.snapshot.routes[route]
        let framing = buffers.requests.request.bodyFraming
        chunkedRequest = framing == .chunked
        exchange = Exchange(retries: entry.route.retries, timeouts: entry.route.timeouts, requestHasBody: framing != .none, wantsUpgrade: false)
        let choice = PoolChoice.of(buffers.requests.request.head, buf, route: entry.route, overrideName: entry.overrideHeaderBytes,
                                   stickyName: entry.stickyNameBytes, peer: connection.peer, peerText: connection.peerText)
        (pool, forced, newStickyKey) = worker.pool(for: choice, routing: routing, route: route, newKey: &buffers.stickyKey)
        RequestRewrite.append(into: &buffers.toBackend, buffers.requests.request, buf, framing: framing, overrideName: entry.overrideHeaderBytes,
                              client: connection.peerText, https: connection.tls != nil, requestID: buffers.requestID.readable, hostFallback: [])
        requestHeadLength = buffers.toBackend.readableBytes
        if !connectToNextBackend() {
            respondError(exchange.noBackendLeft(), "no backend available in either pool")
        }
    }

    /// Request body bytes (`.data`): queued for the backend; the window they took is given
    /// back once the backend has them.
    func receiveBody(_ bytes: UnsafeRawBufferPointer, endStream: Bool) {
        uncredited += bytes.count
        bodyDeadline = worker.loop.now + worker.settings.clientBodyTimeoutMs
        if chunkedRequest && !bytes.isEmpty {
            buffers.toBackend.appendHex(UInt64(bytes.count))
            buffers.toBackend.append("\r\n")
            buffers.toBackend.append(bytes)
            buffers.toBackend.append("\r\n")
        } else {
            buffers.toBackend.append(bytes)
        }
        if endStream {
            requestEnded = true
            if chunkedRequest { buffers.toBackend.append("0\r\n\r\n") }
        }
    }

    /// The request's trailers: sent after a chunked body, dropped after a length-framed one
    /// (HTTP/1.1 has no place for them there).
    func receiveTrailers(_ list: HeaderList) {
        requestEnded = true
        guard chunkedRequest else { return }
        buffers.toBackend.append("0\r\n")
        for i in 0..<list.count {
            list.name(i).withUnsafeBytes { buffers.toBackend.append($0) }
            buffers.toBackend.append(": ")
            list.value(i).withUnsafeBytes { buffers.toBackend.append($0) }
            buffers.toBackend.append("\r\n")
        }
        buffers.toBackend.append("\r\n")
    }

    /// The stream was reset (by the client, or by the connection after a stream error): the
    /// exchange ends with the client gone unless it already has its outcome.
    func streamReset() {
        finish(outcome ?? exchange.clientGone())
    }

    /// The connection closed or failed with the stream open.
    func connectionGone() {
        if !isDone { finish(outcome ?? exchange.clientGone()) }
    }

    // MARK: Backend

    /// Attaches a connection to the next backend to try (`Worker.connectNextBackend`).
    /// Returns false when none is left.
    private func connectToNextBackend() -> Bool {
        guard let (conn, reused) = worker.connectNextBackend(exchange, routing: routing, route: routeIndex, pool: &pool,
                                                             backendIndex: &backendIndex, tried: &tried) else { return false }
        backendEOF = false
        attach(conn, reused: reused)
        return true
    }

    private func attach(_ conn: BackendConnection, reused: Bool) {
        conn.streamOwner = self
        backend = conn
        routing.acquire(conn.backend)
        exchange.attached(reused: reused, connecting: conn.connecting, now: worker.loop.now)
    }

    /// Ends the exchange's use of its backend connection: back to the idle pool with `reuse`.
    private func detachBackend(reuse: Bool) {
        guard let b = backend else { return }
        b.streamOwner = nil
        backend = nil
        routing.release(b.backend)
        if reuse { worker.putIdle(b) } else { worker.loop.close(b) }
    }

    /// Called by the backend connection of this stream.
    func backendEvent(_ events: UInt32) {
        guard let b = backend else { return }
        if b.connecting {
            if shim_socket_error(b.fd) != 0 {
                backendFailed(.closed)
                return connection.streamMoved(self)
            }
            guard events & shim_EPOLLOUT != 0 else { return }
            b.connecting = false
            exchange.connected(now: worker.loop.now)
        }
        if events & shim_EPOLLOUT != 0 {
            if b.tls?.wantsWritable == true { readBackend() }
            writeBackend()
        }
        if events & (shim_EPOLLIN | shim_EPOLLRDHUP | shim_EPOLLHUP | shim_EPOLLERR) != 0 {
            readBackend()
            if b.tls?.wantsReadable == true { writeBackend() }
        }
        connection.streamMoved(self)
    }

    /// Whether the backend is read now: a head until it is whole; a body only once what was
    /// read of it has (nearly) gone on, so that the unsent bytes are never moved in the buffer;
    /// and only into room that no DATA payload waiting to be written holds (else the stream
    /// waits for them to go: `waitingForPayloads`).
    private func readsBackend() -> Bool {
        guard !backendEOF && buffers.fromBackend.readableBytes < (buffers.responses.readingHead ? Self.maxBuffered : HTTP2ClientConnection.readChunk) else {
            return false
        }
        if buffers.pendingPayloads > 0 && (buffers.fromBackend.writerIndex < buffers.pinnedEnd || buffers.fromBackend.writableBytes == 0) {
            buffers.waitingForPayloads = self
            return false
        }
        return true
    }

    /// Reads what the backend sent while `readsBackend()`.
    private func readBackend() {
        guard let b = backend else { return }
        while readsBackend() {
            // One buffer at the first read, for a head and a 64 KiB body in one read; later
            // reads go into what is free of it, moving the few unsent bytes to its front only
            // when under 16 KiB is free (and no payload waits to be written from it).
            if buffers.fromBackend.capacity == 0 { buffers.fromBackend = ByteBuffer(capacity: Self.firstReadCapacity) }
            if buffers.pendingPayloads == 0 { buffers.fromBackend.reserve(HTTP2ClientConnection.readChunk) }
            let space = buffers.fromBackend.writable
            let result = if let tls = b.tls { tls.read(space) } else { Syscall.read(b.fd, space) }
            switch result {
            case .done(let n):
                buffers.fromBackend.didWrite(n)
                b.readSinceAcknowledged = true
                exchange.responseRead(now: worker.loop.now)
                // A short read emptied the socket (epoll is level-triggered: more wakes us
                // again); TLS may still hold decrypted bytes, so it reads on.
                if b.tls == nil && n < space.count { return }
            case .eof, .failed:
                backendEOF = true
            case .wouldBlock:
                return
            }
        }
    }

    /// Writes as much of `toBackend` as the socket takes; once it is all gone, the client
    /// gets the window of the body bytes back.
    private func writeBackend() {
        guard let b = backend, !b.connecting else { return }
        if b.send(&buffers.toBackend, &exchange, now: worker.loop.now) { backendEOF = true }
        if buffers.toBackend.isEmpty { creditClient() }
    }

    /// Gives the client back the window of the body bytes the backend took (or that were
    /// dropped).
    private func creditClient() {
        guard uncredited > 0 else { return }
        connection.apply(connection.h2.dataConsumed(id, count: uncredited))
        uncredited = 0
    }

    // MARK: The exchange

    /// One step: request bytes out, response in and on to the client, the end. Runs when the
    /// connection advances this stream (an event of its own, or more window or room).
    func advance() {
        guard !isDone else { return }
        if outcome != nil || exchange.outcome != nil {
            // Answered: the rest of the request body is dropped (its window given back).
            buffers.toBackend.clear()
            creditClient()
        } else {
            writeBackend()
            forwardResponse()
        }
        if !buffers.ownBody.isEmpty { sendOwnBody() }
        if let outcome, buffers.ownBody.isEmpty { return finish(outcome) }
        if !isDone { updateInterest() }
    }

    /// Reads response heads and passes the body on as far as the client's windows allow.
    private func forwardResponse() {
        while backend != nil && outcome == nil && connection.hasRoom {
            if buffers.responses.readingHead {
                guard forwardResponseHead() else { return }
                continue
            }
            let window = connection.h2.sendWindow(id)
            let all = buffers.fromBackend.readable
            // With the window used up, only a step without data goes on (a chunked body's
            // framing, its last chunk and trailers: the stream's end needs no window).
            if window == 0 && !nextBodyStepHasNoData(all) {
                // A window the client keeps shut ends in the stall timeout.
                connection.h2.waitingForWindow(id, nowMs: connection.nowMs)
                return
            }
            if buffers.fromBackend.isEmpty && !backendEOF { return }
            let input = window == 0 ? all : UnsafeRawBufferPointer(rebasing: all.prefix(window))
            guard case .body(let step) = buffers.responses.read(input, eof: backendEOF && input.count == all.count, limits: worker.settings.limits) else { return }
            let end = step.status == .end
            let trailer = buffers.responses.body.trailer
            if !trailer.isEmpty { buffers.trailerSection.append(UnsafeRawBufferPointer(rebasing: input[trailer])) }
            if !step.data.isEmpty || end {
                let data = UnsafeRawBufferPointer(rebasing: input[step.data])
                let trailers = end ? trailerFields() : nil
                // Large payloads go out from `fromBackend` without a copy (see `StreamBuffers`).
                let splice = data.count >= HTTP2ClientConnection.spliceMinimum && connection.tls == nil
                guard let n = connection.h2.sendData(id, data, endStream: end && trailers == nil, nowMs: connection.nowMs,
                                                     owner: splice ? buffers : nil),
                      trailers.map({ connection.h2.sendTrailers(id, fields: $0) }) ?? true else {
                    finish(exchange.clientGone())
                    return
                }
                if splice { buffers.pinnedEnd = buffers.fromBackend.writerIndex }
                bytesSent += n
            }
            buffers.fromBackend.consume(step.consumed)
            switch step.status {
            case .end:
                completeResponse()
                return
            case .invalid:
                backendFailed(.invalid)
                return
            case .truncated:
                backendFailed(.closed)
                return
            case .more:
                if step.consumed == 0 { return }
            }
        }
    }

    /// Whether the next body step over `input` (the unsent response bytes) moves on without
    /// any data byte: framing only, or the body's end. Runs when the window is used up.
    private func nextBodyStepHasNoData(_ input: UnsafeRawBufferPointer) -> Bool {
        guard !input.isEmpty else { return false }
        var reader = buffers.responses
        guard case .body(let step) = reader.read(input, eof: backendEOF, limits: worker.settings.limits) else { return false }
        return step.data.isEmpty && (step.consumed > 0 || step.status != .more)
    }

    /// At the body's end: the backend's trailer fields that may go on to the client, nil when
    /// there are none (then the last DATA frame ends the stream).
    private func trailerFields() -> HeaderList? {
        guard !buffers.trailerSection.isEmpty else { return nil }
        var fields = HeaderList()
        fields.appendTrailerSection(buffers.trailerSection.readable)
        return fields.count > 0 ? fields : nil
    }

    /// Reads a response head once complete and sends it as HEADERS; 1xx interim heads are
    /// passed on and the next head awaited. Returns whether anything happened.
    private func forwardResponseHead() -> Bool {
        if buffers.fromBackend.isEmpty && !backendEOF { return false }
        switch buffers.responses.readResponseHead(buffers.fromBackend.readable, eof: backendEOF, limits: worker.settings.limits,
                                          exchange: &exchange, now: worker.loop.now) {
        case .waiting:
            return false
        case .fault(let fault):
            backendFailed(fault)
            return true
        case .failure(let failure):
            handle(failure)
            return true
        case .interim(let headEnd):
            sendHead(status: buffers.responses.response.status, buffers.fromBackend.readable, endStream: false)
            buffers.fromBackend.consume(headEnd)
            buffers.responses.expectBody(.none)
            return true
        case .final(let headEnd):
            let buf = buffers.fromBackend.readable
            let status = buffers.responses.response.status
            let framing = buffers.responses.response.bodyFraming(requestWasHead: buffers.requests.request.isHead)
            headSent = true
            sendHead(status: status, buf, endStream: framing == .none)
            buffers.fromBackend.consume(headEnd)
            buffers.responses.expectBody(framing)
            if framing == .none { completeResponse() }
            return true
        }
    }

    /// The client's response head: the backend's fields `ResponseRewrite.passes` (the first
    /// Content-Length, where the status may carry one), then Sluice's own.
    private func sendHead(status: Int, _ buf: UnsafeRawBufferPointer, endStream: Bool) {
        var fields = HeaderList()
        swap(&fields, &connection.fields)
        fields.removeAll()
        var lengthSent = status < 200 || status == 204
        for field in buffers.responses.response.head.fields where ResponseRewrite.passes(field.kind, upgrade: false) {
            if field.kind == .contentLength {
                if lengthSent { continue }
                lengthSent = true
            }
            fields.append(name: UnsafeRawBufferPointer(rebasing: buf[field.name]), value: UnsafeRawBufferPointer(rebasing: buf[field.value]))
        }
        if status >= 200 { appendOwnFields(&fields) }
        if !connection.h2.sendHeaders(id, status: status, fields: fields, endStream: endStream) {
            finish(exchange.clientGone())
        }
        swap(&fields, &connection.fields)
    }

    /// x-request-id, x-sluice-pool (if the route exposes it) and the new sticky cookie.
    private func appendOwnFields(_ fields: inout HeaderList) {
        fields.append(name: "x-request-id".utf8, value: buffers.requestID.readable)
        guard routeIndex >= 0 else { return }
        let entry = routing.snapshot.routes[routeIndex]
        if entry.route.exposePool { fields.append(name: "x-sluice-pool".utf8, value: (pool == .blue ? "blue" : "green").utf8) }
        if newStickyKey {
            var cookie = ByteBuffer()
            cookie.append(entry.stickyNameBytes)
            cookie.append(UInt8(ascii: "="))
            cookie.append(buffers.stickyKey.readable)
            cookie.append("; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax")
            fields.append(name: "set-cookie".utf8, value: cookie.readable)
        }
    }

    /// The response is complete: the backend connection goes back to the pool if it can be
    /// reused. Bytes after the body's end are the backend's failure.
    private func completeResponse() {
        let excess = !buffers.fromBackend.isEmpty
        outcome = exchange.responseComplete(excess: excess)
        guard let b = backend else { return }
        if excess {
            routing.recordFailure(b.backend, now: worker.loop.now)
        } else {
            routing.recordSuccess(b.backend)
        }
        let reusable = buffers.responses.response.keepAlive && requestEnded && !excess && !backendEOF && buffers.toBackend.isEmpty
        detachBackend(reuse: reusable)
        buffers.fromBackend.clear()
    }

    private func backendFailed(_ fault: Exchange.Fault) {
        guard backend != nil else { return }
        handle(exchange.backendFailed(fault, clientSawNothing: !headSent))
    }

    /// Does what the exchange decided after a backend failure or a passed deadline, as
    /// `ClientConnection.handle` does; cutting the client is a reset of this stream only.
    private func handle(_ failure: Exchange.Failure) {
        if failure.blameBackend, let b = backend { routing.recordFailure(b.backend, now: worker.loop.now) }
        detachBackend(reuse: false)
        buffers.fromBackend.clear()
        switch failure.then {
        case .retry(let resendHead):
            if resendHead { buffers.toBackend.restore(count: requestHeadLength) }
            buffers.responses.reset()
            if !connectToNextBackend() {
                respondError(exchange.noBackendLeft(), "no backend available in either pool")
            }
        case .respond(let outcome):
            respondError(outcome, outcome.cause.errorText)
        case .abort(let outcome):
            connection.apply(connection.h2.resetStream(id, code: .internalError))
            self.outcome = outcome
        }
    }

    /// Deadlines of the exchange (connect, first byte, a stalled response body), and the
    /// client's: a request body that stops coming for `--body-timeout` is answered 408 (or
    /// the stream reset, when the response head already went), as on HTTP/1.1.
    func tick(now: Int64) {
        guard !isDone, outcome == nil else { return }
        if backend != nil, let failure = exchange.tick(now: now, clientSawNothing: !headSent) {
            handle(failure)
        } else if !requestEnded && now >= bodyDeadline && exchange.outcome == nil {
            switch exchange.requestRefused(status: 408) {
            case .respond(let outcome):
                respondError(outcome, "request body not received in time")
            case let then:
                handle(Exchange.Failure(blameBackend: false, then: then))
            }
        }
    }

    // MARK: Own responses

    /// A request refused before it was routed (header list too large, a head the HTTP/1.1
    /// rules refuse): answered with `status`.
    func refuse(_ status: Int, _ message: StaticString, requestEnded: Bool) {
        self.requestEnded = requestEnded
        respondError(Outcome(.proxy, .rejected, status: status), message)
    }

    /// Answers with a small JSON error made by Sluice (`outcome.status`), or resets the
    /// stream when the response head already went. Drops the backend connection.
    private func respondError(_ outcome: Outcome, _ message: StaticString) {
        detachBackend(reuse: false)
        self.outcome = outcome
        if headSent {
            connection.apply(connection.h2.resetStream(id, code: .internalError))
            return
        }
        if buffers.requestID.isEmpty { worker.ids.appendRequestID(to: &buffers.requestID) }
        let code = outcome.status
        if outcome.source == .proxy, let rejection = WorkerStats.Rejection(status: code) { worker.stats.rejected[rejection.rawValue] &+= 1 }
        ErrorBody.append(into: &buffers.ownBody, message, status: code, requestID: buffers.requestID.readable)
        var fields = HeaderList()
        fields.append(name: "content-type".utf8, value: "application/json".utf8)
        var length = ByteBuffer()
        length.appendDecimal(buffers.ownBody.readableBytes)
        fields.append(name: "content-length".utf8, value: length.readable)
        appendOwnFields(&fields)
        headSent = true
        if !connection.h2.sendHeaders(id, status: code, fields: fields, endStream: false) { buffers.ownBody.clear() }
    }

    /// Sends what the windows allow of an own response's body; ends the stream with its last byte.
    private func sendOwnBody() {
        let window = connection.h2.sendWindow(id)
        guard window > 0 else { return }
        let n = min(window, buffers.ownBody.readableBytes)
        guard let sent = connection.h2.sendData(id, UnsafeRawBufferPointer(rebasing: buffers.ownBody.readable.prefix(n)),
                                                endStream: n == buffers.ownBody.readableBytes, nowMs: connection.nowMs) else {
            buffers.ownBody.clear()
            return
        }
        bytesSent += sent
        buffers.ownBody.consume(sent)
    }

    // MARK: The end

    /// Logs and counts the exchange once, drops the backend connection (unless it went back
    /// to the pool), and, when the client is still sending a body nobody needs, ends its side
    /// of the stream (RST_STREAM NO_ERROR, RFC 9113 8.1).
    private func finish(_ outcome: Outcome) {
        guard !isDone else { return }
        isDone = true
        connection.streamFinished()
        detachBackend(reuse: false)
        if !requestEnded { connection.apply(connection.h2.resetStream(id, code: .noError)) }
        creditClient()
        worker.record(outcome, protocol: .h2, routing: routing, routeIndex: routeIndex, pool: pool, forced: forced,
                      backendIndex: backendIndex, requestID: buffers.requestID.readable, request: buffers.logRequest.readable,
                      bytesSent: bytesSent, startMicros: startMicros, peerText: connection.peerText)
    }

    private func updateInterest() {
        guard let b = backend else { return }
        var events: UInt32 = 0
        if b.connecting {
            events = shim_EPOLLOUT
        } else {
            // A chunked body is read with the window shut too (up to `readsBackend()`), so
            // that its end, which needs no window, is seen.
            let canSend = buffers.responses.readingHead || connection.h2.sendWindow(id) > 0
                || buffers.responses.body.framing == .chunked
            if connection.hasRoom && canSend && readsBackend() {
                events |= shim_EPOLLIN | shim_EPOLLRDHUP
            }
            if buffers.toBackend.readableBytes > 0 { events |= shim_EPOLLOUT }
            // Still attached: the response is not over yet.
            b.acknowledgeReads()
            if let tls = b.tls {
                if tls.wantsWritable { events |= shim_EPOLLOUT }
                if tls.wantsReadable { events |= shim_EPOLLIN | shim_EPOLLRDHUP }
            }
        }
        worker.loop.setEvents(b, events)
    }
}
