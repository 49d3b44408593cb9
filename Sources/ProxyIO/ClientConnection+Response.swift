import CLinuxShim
import HTTP1
import ProxyCore
import Traffic

/// The response side of an exchange, its end, tunnels, and the proxy's own answers.
extension ClientConnection {
    /// One step of an exchange: request body out, response in, both written. Returns
    /// whether anything changed (so `pump` goes round again): a write that drained a
    /// buffer counts, since it makes room for the next move.
    func advanceExchange() -> Bool {
        var progress = forwardRequestBody()
        guard phase == .exchange else { return true }
        if exchange.outcome != nil {
            // The backend answered before the whole request body arrived: the rest is read
            // and dropped (the backend connection is gone), so the client's connection can
            // stay open; past `maxDiscard` it is closed instead.
            discardedBody += toBackend.readableBytes
            toBackend.clear()
            if discardedBody > Self.maxDiscard { requests.reset(); closeAfterExchange = true }
        }
        progress = writeBackend() || progress
        if clientEOF && requestBodyPending && inbuf.isEmpty {
            // The client went away in the middle of its request body.
            abort()
            return true
        }
        progress = forwardResponse() || progress
        guard phase == .exchange else { return true }
        progress = writeClient() || progress
        guard phase == .exchange else { return true }
        if exchange.outcome != nil && toClient.isEmpty && !requestBodyPending {
            finishExchange()
            return true
        }
        return progress
    }

    /// Reads response heads and moves response body bytes to the client buffer, until the
    /// response is complete, the client buffer is full, or the backend has nothing more.
    private func forwardResponse() -> Bool {
        var moved = false
        while phase == .exchange && backend != nil && exchange.outcome == nil && toClient.readableBytes < Self.highWater {
            if responses.readingHead {
                // The body bytes that came with a head join it in `toClient`: one write for both.
                guard forwardResponseHead() else { return moved }
                moved = true
                continue
            }
            // Nothing buffered and the backend still open: wait for its next bytes.
            if fromBackend.isEmpty && !backendEOF { return moved }
            let framing = responses.body.framing
            // A length-framed body moves all that was read at once (a 64 KiB body with its head
            // leaves in one write; `toClient` passes its high-water mark by one read at most);
            // re-framed bodies move up to the high-water mark.
            let input = framing == .chunked || framing == .untilClose
                ? UnsafeRawBufferPointer(rebasing: fromBackend.readable.prefix(Self.highWater - toClient.readableBytes))
                : fromBackend.readable
            guard case .body(let step) = responses.read(input, eof: backendEOF, limits: worker.settings.limits) else { return moved }
            if case .length = framing {
                if step.consumed > 0 { moveBodyToClient(step.consumed) }
            } else {
                if !step.data.isEmpty { appendResponseData(UnsafeRawBufferPointer(rebasing: input[step.data])) }
                fromBackend.consume(step.consumed)
            }
            switch step.status {
            case .end:
                if chunkToClient { toClient.append("0\r\n\r\n") }
                completeResponse()
                return true
            case .invalid:
                backendFailed(.invalid)
                return true
            case .truncated:
                backendFailed(.closed)
                return true
            case .more:
                if step.consumed == 0 { return moved }
                moved = true
            }
        }
        return moved
    }

    /// Moves `n` body bytes from the front of `fromBackend` to the end of `toClient`. When they
    /// are a large batch and all `fromBackend` holds, they are not copied: `toClient`'s bytes
    /// (the head, usually) go in front of them, into the room `readBackend` left, and the two
    /// buffers trade storage; a 64 KiB response then leaves in one write without a copy.
    private func moveBodyToClient(_ n: Int) {
        if n < Self.tradeMinimum || n != fromBackend.readableBytes || !toClient.takeAll(from: &fromBackend) {
            toClient.moveBytes(from: &fromBackend, limit: n)
        }
    }

    private func appendResponseData(_ data: UnsafeRawBufferPointer) {
        if chunkToClient {
            toClient.appendHex(UInt64(data.count))
            toClient.append("\r\n")
            toClient.append(data)
            toClient.append("\r\n")
        } else {
            toClient.append(data)
        }
    }

    /// Reads a response head once complete and queues the rewritten head for the client.
    /// 1xx interim responses are passed on (to HTTP/1.1 clients) and the next head awaited;
    /// 101 to an upgrade request turns the exchange into a tunnel. Returns whether anything
    /// happened (a head was handled, or the exchange failed).
    private func forwardResponseHead() -> Bool {
        if fromBackend.isEmpty && !backendEOF { return false }
        switch responses.readResponseHead(fromBackend.readable, eof: backendEOF, limits: worker.settings.limits,
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
            if requests.request.version == .http11 { writeResponseHead(fromBackend.readable, upgrade: false) }
            fromBackend.consume(headEnd)
            responses.expectBody(.none)
            return true
        case .final(let headEnd):
            let buf = fromBackend.readable
            let status = responses.response.status
            if status == 101 {
                writeResponseHead(buf, upgrade: true)
                fromBackend.consume(headEnd)
                if let b = backend { routing.recordSuccess(b.backend) }
                phase = .tunnel
                requests.reset()
                return true
            }
            let framing = responses.response.bodyFraming(requestWasHead: requests.request.isHead)
            let unframed = framing == .chunked || framing == .untilClose
            chunkToClient = unframed && requests.request.version == .http11
            if unframed && requests.request.version == .http10 { closeAfterExchange = true }
            writeResponseHead(buf, upgrade: false)
            fromBackend.consume(headEnd)
            responses.expectBody(framing)
            if framing == .none { completeResponse() }
            return true
        }
    }

    /// The client's response head: the backend's part as `ResponseRewrite` says, then
    /// X-Request-Id, (if configured) X-Sluice-Pool and the sticky cookie, and the connection's
    /// fate; an interim (1xx) head carries only the backend's part.
    private func writeResponseHead(_ buf: UnsafeRawBufferPointer, upgrade: Bool) {
        ResponseRewrite.append(into: &toClient, responses.response, buf, upgrade: upgrade, chunked: chunkToClient)
        if responses.response.status < 200 && !upgrade {
            toClient.append("\r\n")
            return
        }
        appendOwnFields()
        if !upgrade { appendConnectionField() }
        toClient.append("\r\n")
    }

    /// X-Request-Id, X-Sluice-Pool and Set-Cookie, for proxied and own responses alike.
    private func appendOwnFields() {
        toClient.append("X-Request-Id: ")
        toClient.append(requestID.readable)
        toClient.append("\r\n")
        guard routeIndex >= 0 else { return }
        let route = routeEntry.route
        if route.exposePool {
            toClient.append(pool == .blue ? "X-Sluice-Pool: blue\r\n" : "X-Sluice-Pool: green\r\n")
        }
        if newStickyKey {
            toClient.append("Set-Cookie: ")
            toClient.append(routeEntry.stickyNameBytes)
            toClient.append(UInt8(ascii: "="))
            toClient.append(stickyKey.readable)
            toClient.append("; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax\r\n")
        }
    }

    private func appendConnectionField() {
        if closeAfterExchange || worker.draining {
            closeAfterExchange = true
            toClient.append("Connection: close\r\n")
        } else if requests.request.version == .http10 {
            toClient.append("Connection: keep-alive\r\n")
        }
    }

    /// The response body is complete: the exchange has its outcome, and the backend
    /// connection goes back to the pool if it can be reused, else it is closed. Bytes after
    /// the body's end mean the backend broke its own framing: a failure of the backend, and
    /// the client connection closes after the response.
    private func completeResponse() {
        let excess = !fromBackend.isEmpty
        _ = exchange.responseComplete(excess: excess)
        guard let b = backend else { return }
        if excess {
            routing.recordFailure(b.backend, now: worker.loop.now)
            closeAfterExchange = true
        } else {
            routing.recordSuccess(b.backend)
        }
        let reusable = responses.response.keepAlive && !requestBodyPending && !excess && !backendEOF && toBackend.isEmpty
        detachBackend(reuse: reusable)
        fromBackend.clear()
    }

    /// The exchange is over: log it, then wait for the next request or close.
    private func finishExchange() {
        if let outcome = exchange.outcome { logAccess(outcome, bytesSent: sentToClient) }
        routeIndex = -1
        if closeAfterExchange || clientEOF {
            enterClosing()
        } else {
            enterIdle()
        }
    }

    /// Between requests on a keep-alive connection.
    func enterIdle() {
        phase = .awaitingHead
        deadline = worker.loop.now + worker.settings.clientIdleTimeoutMs
        idleSince = worker.loop.now
    }

    // MARK: Tunnel

    /// After a 101: bytes both ways until either side closes.
    func advanceTunnel() -> Bool {
        var moved = false
        if inbuf.readableBytes > 0 && toBackend.readableBytes < Self.highWater {
            moved = toBackend.moveBytes(from: &inbuf, limit: Self.highWater - toBackend.readableBytes) > 0
        }
        if fromBackend.readableBytes > 0 && toClient.readableBytes < Self.highWater {
            moved = toClient.moveBytes(from: &fromBackend, limit: Self.highWater - toClient.readableBytes) > 0 || moved
        }
        moved = writeBackend() || moved
        moved = writeClient() || moved
        guard phase == .tunnel else { return true }
        let clientDone = clientEOF && inbuf.isEmpty && toBackend.isEmpty
        let backendDone = backendEOF && fromBackend.isEmpty && toClient.isEmpty
        if clientDone || backendDone {
            logAccess(exchange.tunnelClosed(), bytesSent: sentToClient)
            close()
            return true
        }
        return moved
    }

    // MARK: Own responses

    /// Answers the client with a small JSON error made by Sluice (`outcome.status`) and logs
    /// the exchange with that outcome. Drops the exchange's backend connection. With `close`,
    /// or when the request body was not read, the connection closes after the answer.
    func respondError(_ outcome: Outcome, _ message: StaticString, close: Bool) {
        detachBackend(reuse: false)
        if requestID.isEmpty || phase == .awaitingHead {
            requestID.clear()
            worker.ids.appendRequestID(to: &requestID)
        }
        if phase == .awaitingHead {
            logRequest.clear()
            logRequest.append(0)
            newStickyKey = false
            startMicros = shim_monotonic_us()
            sentToClient = 0
            requests.reset()
        }
        let code = outcome.status
        if outcome.source == .proxy, let rejection = WorkerStats.Rejection(status: code) { worker.stats.rejected[rejection.rawValue] &+= 1 }
        toClient.append("HTTP/1.1 ")
        toClient.appendDecimal(code)
        toClient.append(UInt8(ascii: " "))
        toClient.append(Self.reasonPhrase(code))
        toClient.append("\r\nContent-Type: application/json\r\nContent-Length: ")
        let bodyLength = ErrorBody.length(message, requestID: requestID.readable)
        toClient.appendDecimal(bodyLength)
        toClient.append("\r\n")
        if close || requestBodyPending { closeAfterExchange = true }
        appendOwnFields()
        appendConnectionField()
        toClient.append("\r\n")
        ErrorBody.append(into: &toClient, message, status: code, requestID: requestID.readable)
        logAccess(outcome, bytesSent: sentToClient + toClient.readableBytes)
        routeIndex = -1
        requests.reset()
        if closeAfterExchange || clientEOF {
            enterClosing()
        } else {
            enterIdle()
        }
    }

    static func reasonPhrase(_ code: Int) -> StaticString {
        switch code {
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 414: return "URI Too Long"
        case 431: return "Request Header Fields Too Large"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Error"
        }
    }

    // MARK: Access log

    /// Records the finished exchange from its outcome (`Worker.record`).
    func logAccess(_ outcome: Outcome, bytesSent: Int) {
        worker.record(outcome, protocol: .http11, routing: routing, routeIndex: routeIndex, pool: pool, forced: forced,
                      backendIndex: backendIndex, requestID: requestID.readable, request: logRequest.readable,
                      bytesSent: bytesSent, startMicros: startMicros, peerText: peerText)
        backendIndex = -1
    }
}
