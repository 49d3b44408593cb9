import CLinuxShim
import HTTP1
import Traffic

/// The response side of an exchange, its end, tunnels, and the proxy's own answers.
extension ClientConnection {
    /// One step of an exchange: request body out, response in, both written. Returns
    /// whether anything changed (so `pump` goes round again): a write that drained a
    /// buffer counts, since it makes room for the next move.
    func advanceExchange() -> Bool {
        var progress = forwardRequestBody()
        guard phase == .exchange else { return true }
        if responseDone {
            // The backend answered before the whole request body arrived: the rest is read
            // and dropped (the backend connection is gone), so the client's connection can
            // stay open; past `maxDiscard` it is closed instead.
            discardedBody += toBackend.readableBytes
            toBackend.clear()
            if discardedBody > Self.maxDiscard { requestBody = .none; closeAfterExchange = true }
        }
        progress = writeBackend() || progress
        if backendEOF && !responseBytesSeen && !responseDone {
            backendFailed()
            return true
        }
        if clientEOF && requestBody != .none && inbuf.isEmpty {
            // The client went away in the middle of its request body.
            abort()
            return true
        }
        progress = forwardResponse() || progress
        guard phase == .exchange else { return true }
        progress = writeClient() || progress
        guard phase == .exchange else { return true }
        if responseDone && toClient.isEmpty && requestBody == .none {
            finishExchange()
            return true
        }
        return progress
    }

    /// Parses the response head and moves response body bytes to the client buffer.
    private func forwardResponse() -> Bool {
        if responseDone { return false }
        var moved = false
        if !responseHeadSent {
            moved = forwardResponseHead()
            // The body bytes that came with the head join it in `toClient`: one write for both.
            guard responseHeadSent && phase == .exchange else { return moved }
        }
        while toClient.readableBytes < Self.highWater {
            switch responseBody {
            case .none:
                completeResponse()
                return true
            case .length(let remaining):
                // All that was read at once (a 64 KiB body with its head leaves in one write);
                // `toClient` passes its high-water mark by one read at most.
                let n = min(remaining, fromBackend.readableBytes)
                guard n > 0 else { return truncatedIfEOF() || moved }
                moveBodyToClient(n)
                responseBody = remaining == n ? .none : .length(remaining - n)
                moved = true
            case .untilClose:
                let n = min(fromBackend.readableBytes, Self.highWater - toClient.readableBytes)
                if n > 0 {
                    appendResponseData(UnsafeRawBufferPointer(rebasing: fromBackend.readable.prefix(n)))
                    fromBackend.consume(n)
                    moved = true
                } else if backendEOF {
                    if chunkToClient { toClient.append("0\r\n\r\n") }
                    responseBody = .none
                } else {
                    return moved
                }
            case .chunked:
                guard fromBackend.readableBytes > 0 else { return truncatedIfEOF() || moved }
                let input = UnsafeRawBufferPointer(rebasing: fromBackend.readable.prefix(Self.highWater - toClient.readableBytes))
                let out = responseChunks.decode(input)
                if !out.data.isEmpty { appendResponseData(UnsafeRawBufferPointer(rebasing: input[out.data])) }
                fromBackend.consume(out.consumed)
                switch out.status {
                case .end:
                    if chunkToClient { toClient.append("0\r\n\r\n") }
                    responseBody = .none
                case .error:
                    abort()
                    return true
                case .needMore:
                    if out.consumed == 0 { return moved }
                }
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

    /// A body the backend ended early cannot be completed: the client connection is cut.
    private func truncatedIfEOF() -> Bool {
        guard backendEOF else { return false }
        abort()
        return true
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

    /// Parses the response head once complete and queues the rewritten head for the client.
    /// 1xx interim responses are passed on (to HTTP/1.1 clients) and the next head awaited;
    /// 101 to an upgrade request turns the exchange into a tunnel.
    private func forwardResponseHead() -> Bool {
        guard fromBackend.readableBytes > 0 else { return false }
        switch responseScanner.scan(fromBackend.readable, limits: worker.settings.limits) {
        case .incomplete:
            if backendEOF { respondError(502, "backend sent an incomplete response", close: true); return true }
            return false
        case .error:
            respondError(502, "backend sent an invalid response", close: true)
            return true
        case .complete(let headEnd):
            let buf = fromBackend.readable
            if response.parse(buf, start: responseScanner.headStart, headEnd: headEnd, limits: worker.settings.limits) != nil {
                respondError(502, "backend sent an invalid response", close: true)
                return true
            }
            status = response.status
            if let b = backend { routing.recordSuccess(b.backend) }
            if response.status == 101 {
                guard request.wantsUpgrade else {
                    respondError(502, "backend switched protocols unasked", close: true)
                    return true
                }
                writeResponseHead(buf, upgrade: true)
                fromBackend.consume(headEnd)
                phase = .tunnel
                responseHeadSent = true
                requestBody = .none
                return true
            }
            if response.status < 200 {
                if request.version == .http11 { writeResponseHead(buf, upgrade: false) }
                fromBackend.consume(headEnd)
                responseScanner.reset()
                return true
            }
            if !response.hasBody(requestWasHead: request.isHead) {
                responseBody = .none
            } else if response.head.chunked {
                responseBody = .chunked
                responseChunks = ChunkedDecoder()
            } else if let n = response.head.contentLength {
                responseBody = n > 0 ? .length(n) : .none
            } else {
                responseBody = .untilClose
            }
            let unframed = responseBody == .chunked || responseBody == .untilClose
            chunkToClient = unframed && request.version == .http11
            if unframed && request.version == .http10 { closeAfterExchange = true }
            writeResponseHead(buf, upgrade: false)
            fromBackend.consume(headEnd)
            responseHeadSent = true
            return true
        }
    }

    /// The client's response head: the backend's fields minus hop-by-hop ones, our framing,
    /// X-Request-Id, and (if configured) X-Sluice-Pool and the sticky cookie.
    private func writeResponseHead(_ buf: UnsafeRawBufferPointer, upgrade: Bool) {
        toClient.append("HTTP/1.1 ")
        toClient.appendDecimal(response.status)
        toClient.append(UInt8(ascii: " "))
        toClient.append(UnsafeRawBufferPointer(rebasing: buf[response.reason]))
        toClient.append("\r\n")
        let interim = response.status < 200 && !upgrade
        for field in response.head.fields {
            switch field.kind {
            case .connection, .hopByHop, .transferEncoding, .xRequestId:
                continue
            case .upgrade where !upgrade:
                continue
            case .contentLength where chunkToClient:
                continue
            default:
                toClient.append(UnsafeRawBufferPointer(rebasing: buf[field.name]))
                toClient.append(": ")
                toClient.append(UnsafeRawBufferPointer(rebasing: buf[field.value]))
                toClient.append("\r\n")
            }
        }
        if interim {
            toClient.append("\r\n")
            return
        }
        if upgrade { toClient.append("Connection: upgrade\r\n") }
        if chunkToClient { toClient.append("Transfer-Encoding: chunked\r\n") }
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
        } else if request.version == .http10 {
            toClient.append("Connection: keep-alive\r\n")
        }
    }

    /// The response body is complete: the backend connection goes back to the pool if
    /// it can be reused, else it is closed.
    private func completeResponse() {
        responseDone = true
        guard backend != nil else { return }
        let reusable = response.keepAlive && requestBody == .none && fromBackend.isEmpty && !backendEOF
            && toBackend.isEmpty && responseBody == .none
        detachBackend(reuse: reusable)
        fromBackend.clear()
    }

    /// The exchange is over: log it, then wait for the next request or close.
    private func finishExchange() {
        logAccess()
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
            logAccess()
            close()
            return true
        }
        return moved
    }

    // MARK: Own responses

    /// Answers the client with a small JSON error made by Sluice. Drops the exchange's
    /// backend connection. With `close`, or when the request body was not read, the
    /// connection closes after the answer.
    func respondError(_ code: Int, _ message: StaticString, close: Bool) {
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
            scanner.reset()
        }
        status = code
        if let rejection = WorkerStats.Rejection(status: code) { worker.stats.rejected[rejection.rawValue] &+= 1 }
        toClient.append("HTTP/1.1 ")
        toClient.appendDecimal(code)
        toClient.append(UInt8(ascii: " "))
        toClient.append(Self.reasonPhrase(code))
        toClient.append("\r\nContent-Type: application/json\r\nContent-Length: ")
        let bodyLength = 42 + message.utf8CodeUnitCount + requestID.readableBytes
        toClient.appendDecimal(bodyLength)
        toClient.append("\r\n")
        if close || requestBody != .none { closeAfterExchange = true }
        appendOwnFields()
        appendConnectionField()
        toClient.append("\r\n")
        let before = toClient.readableBytes
        toClient.append("{\"error\":\"")
        toClient.append(message)
        toClient.append("\",\"status\":")
        toClient.appendDecimal(code)
        toClient.append(",\"request_id\":\"")
        toClient.append(requestID.readable)
        toClient.append("\"}\n")
        assert(toClient.readableBytes - before == bodyLength)
        logAccess()
        routeIndex = -1
        requestBody = .none
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
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Error"
        }
    }

    // MARK: Access log

    /// Records the finished exchange: its statistics and, unless the access log is off, one
    /// JSON line in the worker's access-log buffer.
    func logAccess() {
        let micros = shim_monotonic_us() - startMicros
        if routeIndex >= 0 {
            worker.stats.record(slot: routing.statsSlots[routeIndex], pool: pool, status: status, micros: micros,
                                judged: !forced && status != 499)
        }
        guard worker.settings.accessLog != nil else {
            backendIndex = -1
            return
        }
        let log = worker
        log.accessLog.append("{\"timestamp\":\"")
        log.timestamp.append(to: &log.accessLog)
        log.accessLog.append("\",\"level\":\"info\",\"message\":\"request\",\"request_id\":\"")
        log.accessLog.append(requestID.readable)
        log.accessLog.append("\",\"method\":\"")
        let parts = logRequest.readable
        let split = parts.firstIndex(of: 0) ?? parts.count
        log.accessLog.append(UnsafeRawBufferPointer(rebasing: parts[..<split]))
        log.accessLog.append("\",\"path\":\"")
        if split < parts.count { log.accessLog.append(UnsafeRawBufferPointer(rebasing: parts[(split + 1)...])) }
        log.accessLog.append("\",\"status_code\":")
        log.accessLog.appendDecimal(status)
        log.accessLog.append(",\"duration_ms\":")
        log.accessLog.appendDecimal(Int(micros / 1000))
        log.accessLog.append(UInt8(ascii: "."))
        let frac = Int(micros % 1000)
        log.accessLog.append(UInt8(48 + frac / 100))
        log.accessLog.append(UInt8(48 + (frac / 10) % 10))
        log.accessLog.append(UInt8(48 + frac % 10))
        if routeIndex >= 0 {
            log.accessLog.append(",\"route\":\"")
            log.accessLog.append(routeEntry.nameBytes)
            log.accessLog.append(pool == .blue ? "\",\"pool\":\"blue\"" : "\",\"pool\":\"green\"")
            if backendIndex >= 0 && backendIndex < routing.snapshot.backendLabels.count {
                log.accessLog.append(",\"upstream\":\"")
                log.accessLog.append(routing.snapshot.backendLabels[backendIndex])
                log.accessLog.append(UInt8(ascii: "\""))
            } else {
                log.accessLog.append(",\"upstream\":null")
            }
            log.accessLog.append(forced ? ",\"forced\":true" : ",\"forced\":false")
        } else {
            log.accessLog.append(",\"route\":null,\"pool\":null,\"upstream\":null")
        }
        log.accessLog.append(",\"client\":\"")
        peerText.withBytes { log.accessLog.append($0) }
        log.accessLog.append("\"}\n")
        backendIndex = -1
    }
}
