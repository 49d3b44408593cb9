import CLinuxShim
import HTTP1
import ProxyCore
import Traffic

/// The request side of an exchange: from a complete head to bytes queued for a backend.
extension ClientConnection {
    /// The request parsed last (the current exchange's).
    var request: RequestHead { requests.request }

    /// Whether request body bytes are still to come from the client.
    var requestBodyPending: Bool { !requests.body.isComplete }

    /// Runs once per request when its head is complete and parsed at the front of `inbuf`:
    /// routes it, picks pool and backend, and queues the rewritten head for the backend.
    func startExchange(headEnd: Int) {
        let buf = inbuf.readable
        phase = .exchange
        routing = worker.routing
        chunkToClient = false
        startMicros = shim_monotonic_us()
        sentToClient = 0
        routeIndex = -1
        backendEOF = false
        newStickyKey = false
        tried.removeAll()
        let framing = request.bodyFraming
        exchange = Exchange(retries: RetryPolicy(), timeouts: Timeouts(), requestHasBody: framing != .none, wantsUpgrade: request.wantsUpgrade)
        discardedBody = 0
        if !request.keepAlive { closeAfterExchange = true }
        deadline = worker.loop.now + worker.settings.clientBodyTimeoutMs
        noteRequestID(buf)
        logRequest.clear()
        logRequest.appendJSONEscaped(UnsafeRawBufferPointer(rebasing: buf[request.method]))
        logRequest.append(0) // separator between method and path
        let target = request.target
        var pathEnd = target.lowerBound
        while pathEnd < target.upperBound && buf[pathEnd] != UInt8(ascii: "?") { pathEnd += 1 }
        logRequest.appendJSONEscaped(UnsafeRawBufferPointer(rebasing: buf[target.lowerBound..<pathEnd]))

        let host = request.head.hostIndex.map { UnsafeRawBufferPointer(rebasing: buf[request.head.fields[$0].value]) }
        guard let route = routing.snapshot.table.match(host: host, path: UnsafeRawBufferPointer(rebasing: buf[target])) else {
            inbuf.consume(headEnd)
            respondError(Outcome(.proxy, .rejected, status: 404), "no route", close: framing != .none)
            return
        }
        routeIndex = route
        let config = routeEntry.route
        exchange = Exchange(retries: config.retries, timeouts: config.timeouts, requestHasBody: framing != .none, wantsUpgrade: request.wantsUpgrade)
        pool = choosePool(buf)
        writeRequestHead(buf, framing: framing)
        inbuf.consume(headEnd)
        requests.expectBody(framing)
        responses.reset()
        if !connectToNextBackend() {
            respondError(exchange.noBackendLeft(), "no backend available in either pool", close: framing != .none)
        }
    }

    /// Keeps a valid client X-Request-Id (1-128 of `[A-Za-z0-9._-]`), else makes one.
    private func noteRequestID(_ buf: UnsafeRawBufferPointer) {
        requestID.clear()
        for field in request.head.fields where field.kind == .xRequestId {
            let v = field.value
            guard v.count >= 1 && v.count <= 128 else { break }
            var valid = true
            for i in v {
                switch buf[i] {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    continue
                default:
                    valid = false
                }
            }
            if valid { requestID.append(UnsafeRawBufferPointer(rebasing: buf[v])) }
            break
        }
        if requestID.isEmpty { worker.ids.appendRequestID(to: &requestID) }
    }

    /// The pool for this request: the override header (from allowed addresses), else the
    /// sticky key's hash bucket, else the worker's weighted picker.
    private func choosePool(_ buf: UnsafeRawBufferPointer) -> Pool {
        let entry = routeEntry
        let route = entry.route
        forced = false
        if let override = route.override, let value = request.head.value(buf, named: entry.overrideHeaderBytes),
           let forcedPool = Pool(name: UnsafeRawBufferPointer(rebasing: buf[value])), override.allowFrom.contains(where: { $0.contains(peer) }) {
            forced = true
            return forcedPool
        }
        guard let sticky = route.sticky else { return routing.nextPool(route: routeIndex) }
        let bucket: Int
        switch sticky.by {
        case .cookie:
            if let value = request.head.cookie(buf, named: entry.stickyNameBytes) {
                bucket = StickyHash.bucket(UnsafeRawBufferPointer(rebasing: buf[value]))
            } else {
                stickyKey.clear()
                worker.ids.appendRandomKey(to: &stickyKey)
                newStickyKey = true
                bucket = StickyHash.bucket(stickyKey.readable)
            }
        case .header:
            guard let value = request.head.value(buf, named: entry.stickyNameBytes), !value.isEmpty else {
                return routing.nextPool(route: routeIndex)
            }
            bucket = StickyHash.bucket(UnsafeRawBufferPointer(rebasing: buf[value]))
        case .clientIP:
            bucket = peerText.withBytes { StickyHash.bucket($0) }
        }
        return StickyHash.pool(bucket: bucket, green: route.greenWeight)
    }

    /// Queues the request head for the backend: hop-by-hop fields removed (RFC 9110 7.6.1),
    /// X-Forwarded-* and X-Request-Id set, framing re-stated, always as HTTP/1.1.
    private func writeRequestHead(_ buf: UnsafeRawBufferPointer, framing: BodyFraming) {
        let entry = routeEntry
        toBackend.clear()
        toBackend.append(UnsafeRawBufferPointer(rebasing: buf[request.method]))
        toBackend.append(UInt8(ascii: " "))
        toBackend.append(UnsafeRawBufferPointer(rebasing: buf[request.target]))
        toBackend.append(" HTTP/1.1\r\n")
        for field in request.head.fields {
            switch field.kind {
            case .connection, .hopByHop, .transferEncoding, .contentLength, .upgrade,
                 .xForwardedProto, .xForwardedHost, .xRequestId, .xForwardedFor:
                continue
            case .other, .xSluicePool:
                // The override header is Sluice's, not the backend's.
                if buf.equalsIgnoringCase(field.name, entry.overrideHeaderBytes) { continue }
                appendField(buf, field)
            default:
                appendField(buf, field)
            }
        }
        toBackend.append("X-Forwarded-For: ")
        for field in request.head.fields where field.kind == .xForwardedFor && !field.value.isEmpty {
            toBackend.append(UnsafeRawBufferPointer(rebasing: buf[field.value]))
            toBackend.append(", ")
        }
        peerText.withBytes { toBackend.append($0) }
        toBackend.append(tls == nil ? "\r\nX-Forwarded-Proto: http\r\n" : "\r\nX-Forwarded-Proto: https\r\n")
        if let h = request.head.hostIndex {
            toBackend.append("X-Forwarded-Host: ")
            toBackend.append(UnsafeRawBufferPointer(rebasing: buf[request.head.fields[h].value]))
            toBackend.append("\r\n")
        } else if let first = entry.poolBackends[Int(pool.rawValue)].first {
            // An HTTP/1.0 request without Host goes out as HTTP/1.1, which needs one: name the
            // backend, as NGINX's default `proxy_set_header Host $proxy_host` does.
            toBackend.append("Host: ")
            toBackend.append(routing.snapshot.backendLabels[first])
            toBackend.append("\r\n")
        }
        toBackend.append("X-Request-Id: ")
        toBackend.append(requestID.readable)
        toBackend.append("\r\n")
        switch framing {
        case .chunked:
            toBackend.append("Transfer-Encoding: chunked\r\n")
        case .length(let n):
            toBackend.append("Content-Length: ")
            toBackend.appendDecimal(n)
            toBackend.append("\r\n")
        case .none, .untilClose:
            if request.head.contentLength == 0 { toBackend.append("Content-Length: 0\r\n") }
        }
        if request.wantsUpgrade, let u = request.head.upgradeIndex {
            toBackend.append("Connection: upgrade\r\nUpgrade: ")
            toBackend.append(UnsafeRawBufferPointer(rebasing: buf[request.head.fields[u].value]))
            toBackend.append("\r\n")
        }
        toBackend.append("\r\n")
        requestHeadLength = toBackend.readableBytes
    }

    private func appendField(_ buf: UnsafeRawBufferPointer, _ field: HeaderField) {
        toBackend.append(UnsafeRawBufferPointer(rebasing: buf[field.name]))
        toBackend.append(": ")
        toBackend.append(UnsafeRawBufferPointer(rebasing: buf[field.value]))
        toBackend.append("\r\n")
    }

    /// Moves request body bytes from the client buffer to the backend buffer, up to the
    /// high-water mark; chunked bodies are decoded and re-chunked (extensions and trailers
    /// dropped). Returns whether anything moved.
    func forwardRequestBody() -> Bool {
        var moved = false
        while requestBodyPending && inbuf.readableBytes > 0 && toBackend.readableBytes < Self.highWater {
            // A large length-framed batch that is all `inbuf` holds is not copied: `toBackend`
            // takes its storage (what `toBackend` still holds goes in front of it, if there is
            // room), and the high-water mark does not apply because no buffer grows.
            let room = Self.highWater - toBackend.readableBytes
            var trade = false
            if case .length(let remaining) = requests.body.framing {
                let batch = inbuf.readableBytes
                trade = batch >= Self.tradeMinimum && batch <= remaining && toBackend.readableBytes <= inbuf.readerIndex
            }
            let input = trade ? inbuf.readable : UnsafeRawBufferPointer(rebasing: inbuf.readable.prefix(room))
            let chunked = requests.body.framing == .chunked
            guard case .body(let step) = requests.read(input, eof: false, limits: worker.settings.limits) else { return moved }
            if chunked {
                if !step.data.isEmpty {
                    toBackend.appendHex(UInt64(step.data.count))
                    toBackend.append("\r\n")
                    toBackend.append(UnsafeRawBufferPointer(rebasing: input[step.data]))
                    toBackend.append("\r\n")
                }
                inbuf.consume(step.consumed)
                if step.status == .end { toBackend.append("0\r\n\r\n") }
            } else if trade {
                _ = toBackend.takeAll(from: &inbuf)
            } else {
                toBackend.moveBytes(from: &inbuf, limit: step.consumed)
            }
            moved = moved || step.consumed > 0
            switch step.status {
            case .end:
                return true
            case .invalid:
                refuseRequest(400, "invalid chunked body")
                return true
            case .more, .truncated:
                if step.consumed == 0 { return moved }
            }
        }
        return moved
    }

    /// Picks the next backend to try, connects (or takes an idle connection) and attaches
    /// it. Order: the chosen pool's backends from its round-robin position, then the
    /// stable pool's; at most `1 + retries.attempts` tries. Returns false when none is left.
    func connectToNextBackend() -> Bool {
        let route = routeEntry.route
        while exchange.mayTry, let (candidate, candidatePool) = nextCandidate() {
            if exchange.tries > 0 { worker.stats.retries &+= 1 }
            tried.insert(candidate)
            backendIndex = candidate
            pool = candidatePool
            backendEOF = false
            if let conn = routing.takeIdle(candidate) {
                attach(conn, reused: true)
                return true
            }
            let (conn, _) = BackendConnection.connect(to: candidate, routing: routing, worker: worker, idleTimeoutMs: route.timeouts.idleMs64)
            if let conn {
                attach(conn, reused: false)
                return true
            }
        }
        return false
    }

    private func attach(_ conn: BackendConnection, reused: Bool) {
        conn.owner = self
        backend = conn
        routing.acquire(conn.backend)
        exchange.attached(reused: reused, connecting: conn.connecting, now: worker.loop.now)
    }

    /// The next untried available backend: the chosen pool's first (from its round-robin
    /// position), then the stable pool's, so a pool with no healthy backend sends its
    /// share to the stable pool.
    private func nextCandidate() -> (Int, Pool)? {
        let stable = routeEntry.route.stable
        let now = worker.loop.now
        for pass in 0..<(pool == stable ? 1 : 2) {
            let candidatePool = pass == 0 ? pool : stable
            let (list, start) = routing.backendOrder(route: routeIndex, pool: candidatePool)
            for k in 0..<list.count {
                let b = list[(start + k) % list.count]
                if !tried.contains(b) && routing.isAvailable(b, now: now) { return (b, candidatePool) }
            }
        }
        return nil
    }

    /// The backend connection failed: closed, reset or refused (`.closed`), or it sent
    /// something Sluice refuses (`.invalid`). The exchange decides what follows.
    func backendFailed(_ fault: Exchange.Fault) {
        guard backend != nil else { return }
        handle(exchange.backendFailed(fault, clientSawNothing: sentToClient == 0))
    }

    /// Does what the exchange decided after a backend failure or a passed deadline: the
    /// failed connection is dropped (and blamed in passive health if it was its fault), then
    /// another backend is tried, the proxy answers by itself, or the client connection is cut.
    func handle(_ failure: Exchange.Failure) {
        if failure.blameBackend, let b = backend { routing.recordFailure(b.backend, now: worker.loop.now) }
        detachBackend(reuse: false)
        switch failure.then {
        case .retry(let resendHead):
            if resendHead { toBackend.restore(count: requestHeadLength) }
            if !connectToNextBackend() {
                let outcome = exchange.noBackendLeft()
                respondError(outcome, outcome.cause.errorText, close: exchange.requestHasBody)
            }
        case .respond(let outcome):
            if sentToClient == 0 { toClient.clear() }
            respondError(outcome, outcome.cause.errorText, close: outcome.status == 504 || exchange.requestHasBody)
        case .abort:
            abort()
        }
    }

    /// The proxy refuses the rest of the request (a broken body, a body timeout): answered
    /// with `status` while no response head went out, else the client connection is cut. Once
    /// the response is complete the connection only closes after it.
    func refuseRequest(_ status: Int, _ message: StaticString) {
        if exchange.outcome != nil {
            requests.reset()
            closeAfterExchange = true
            return
        }
        switch exchange.requestRefused(status: status) {
        case .respond(let outcome):
            if sentToClient == 0 { toClient.clear() }
            respondError(outcome, message, close: true)
        case .abort, .retry:
            abort()
        }
    }
}
