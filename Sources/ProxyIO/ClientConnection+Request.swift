import CLinuxShim
import HTTP1
import Traffic

/// The request side of an exchange: from a complete head to bytes queued for a backend.
extension ClientConnection {
    /// Runs once per request when its head is complete in `inbuf`: validates it, routes it,
    /// picks pool and backend, and queues the rewritten head for the backend.
    func startExchange(headEnd: Int) {
        let buf = inbuf.readable
        if let error = request.parse(buf, start: scanner.headStart, headEnd: headEnd, limits: worker.settings.limits) {
            respondError(error.status, error.reasonText, close: true)
            return
        }
        phase = .exchange
        routing = worker.routing
        chunkToClient = false
        startMicros = shim_monotonic_us()
        status = 0
        routeIndex = -1
        responseHeadSent = false
        responseDone = false
        responseBytesSeen = false
        backendEOF = false
        newStickyKey = false
        tries = 0
        tried.removeAll()
        requestBody = request.head.chunked ? .chunked : ((request.head.contentLength ?? 0) > 0 ? .length(request.head.contentLength!) : .none)
        requestHadBody = requestBody != .none
        requestChunks = ChunkedDecoder()
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
            scanner.reset()
            respondError(404, "no route", close: requestHadBody)
            return
        }
        routeIndex = route
        pool = choosePool(buf)
        writeRequestHead(buf)
        inbuf.consume(headEnd)
        scanner.reset()
        responseScanner.reset()
        if !connectToNextBackend() {
            respondError(503, "no backend available in either pool", close: requestHadBody)
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
        if let override = route.override, let value = fieldValue(buf, named: entry.overrideHeaderBytes),
           let forcedPool = Pool(name: UnsafeRawBufferPointer(rebasing: buf[value])), override.allowFrom.contains(where: { $0.contains(peer) }) {
            forced = true
            return forcedPool
        }
        guard let sticky = route.sticky else { return routing.nextPool(route: routeIndex) }
        let bucket: Int
        switch sticky.by {
        case .cookie:
            if let value = cookieValue(buf, named: entry.stickyNameBytes) {
                bucket = StickyHash.bucket(UnsafeRawBufferPointer(rebasing: buf[value]))
            } else {
                stickyKey.clear()
                worker.ids.appendRandomKey(to: &stickyKey)
                newStickyKey = true
                bucket = StickyHash.bucket(stickyKey.readable)
            }
        case .header:
            guard let value = fieldValue(buf, named: entry.stickyNameBytes), !value.isEmpty else {
                return routing.nextPool(route: routeIndex)
            }
            bucket = StickyHash.bucket(UnsafeRawBufferPointer(rebasing: buf[value]))
        case .clientIP:
            bucket = peerText.withBytes { StickyHash.bucket($0) }
        }
        return StickyHash.pool(bucket: bucket, green: route.greenWeight)
    }

    /// The value range of the first field called `name` (any case).
    private func fieldValue(_ buf: UnsafeRawBufferPointer, named name: [UInt8]) -> Range<Int>? {
        guard !name.isEmpty else { return nil }
        for field in request.head.fields where buf.equalsIgnoringCase(field.name, name) {
            return field.value
        }
        return nil
    }

    /// The value of cookie `name` in the Cookie fields (`a=1; name=value; b=2`).
    private func cookieValue(_ buf: UnsafeRawBufferPointer, named name: [UInt8]) -> Range<Int>? {
        for field in request.head.fields where field.kind == .cookie {
            var i = field.value.lowerBound
            let end = field.value.upperBound
            while i < end {
                while i < end && (buf[i] == 0x20 || buf[i] == UInt8(ascii: ";")) { i += 1 }
                let pairStart = i
                while i < end && buf[i] != UInt8(ascii: ";") { i += 1 }
                let pair = pairStart..<i
                if pair.count > name.count && buf[pairStart + name.count] == UInt8(ascii: "=") {
                    var equal = true
                    for k in 0..<name.count where buf[pairStart + k] != name[k] { equal = false; break }
                    if equal {
                        let value = (pairStart + name.count + 1)..<i
                        if !value.isEmpty { return value }
                    }
                }
            }
        }
        return nil
    }

    /// Queues the request head for the backend: hop-by-hop fields removed (RFC 9110 7.6.1),
    /// X-Forwarded-* and X-Request-Id set, framing re-stated, always as HTTP/1.1.
    private func writeRequestHead(_ buf: UnsafeRawBufferPointer) {
        let entry = routeEntry
        if request.wantsUpgrade, let u = request.head.upgradeIndex,
           !entry.route.upgrades.allows(UnsafeRawBufferPointer(rebasing: buf[request.head.fields[u].value])) {
            request.head.upgradeIndex = nil // a protocol the route does not tunnel: a plain request
        }
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
            case .other where buf.equalsIgnoringCase(field.name, entry.overrideHeaderBytes):
                continue // the override header is Sluice's, not the backend's
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
        switch requestBody {
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
        switch requestBody {
        case .none, .untilClose:
            return false
        case .length(let remaining):
            // A large batch that is all `inbuf` holds is not copied: `toBackend` takes its
            // storage (what `toBackend` still holds goes in front of it, if there is room), and
            // the high-water mark does not apply because no buffer grows.
            let batch = inbuf.readableBytes
            if batch >= Self.tradeMinimum, batch <= remaining, toBackend.takeAll(from: &inbuf) {
                requestBody = remaining == batch ? .none : .length(remaining - batch)
                return true
            }
            let room = Self.highWater - toBackend.readableBytes
            let n = min(remaining, inbuf.readableBytes, room)
            guard n > 0 else { return false }
            toBackend.moveBytes(from: &inbuf, limit: n)
            requestBody = remaining == n ? .none : .length(remaining - n)
            return true
        case .chunked:
            var moved = false
            while inbuf.readableBytes > 0 && toBackend.readableBytes < Self.highWater {
                let room = Self.highWater - toBackend.readableBytes
                let input = UnsafeRawBufferPointer(rebasing: inbuf.readable.prefix(room))
                let out = requestChunks.decode(input)
                if !out.data.isEmpty {
                    toBackend.appendHex(UInt64(out.data.count))
                    toBackend.append("\r\n")
                    toBackend.append(UnsafeRawBufferPointer(rebasing: input[out.data]))
                    toBackend.append("\r\n")
                }
                inbuf.consume(out.consumed)
                moved = moved || out.consumed > 0
                switch out.status {
                case .end:
                    toBackend.append("0\r\n\r\n")
                    requestBody = .none
                    return true
                case .error:
                    if responseHeadSent { abort() } else { respondError(400, "invalid chunked body", close: true) }
                    return true
                case .needMore:
                    if out.consumed == 0 { return moved }
                }
            }
            return moved
        }
    }

    /// Picks the next backend to try, connects (or takes an idle connection) and attaches
    /// it. Order: the chosen pool's backends from its round-robin position, then the
    /// stable pool's; at most `1 + retries.attempts` tries. Returns false when none is left.
    func connectToNextBackend() -> Bool {
        let route = routeEntry.route
        let maxTries = 1 + route.retries.attempts
        while tries < maxTries, let (candidate, candidatePool) = nextCandidate() {
            if tries > 0 { worker.stats.retries &+= 1 }
            tries += 1
            tried.insert(candidate)
            backendIndex = candidate
            pool = candidatePool
            backendEOF = false
            if let conn = routing.takeIdle(candidate) {
                attach(conn)
                return true
            }
            let (conn, _) = BackendConnection.connect(to: candidate, routing: routing, worker: worker, idleTimeoutMs: route.timeouts.idleMs64)
            if let conn {
                attach(conn)
                backendDeadline = worker.loop.now + (conn.connecting ? route.timeouts.connectMs64 : route.timeouts.firstByteMs64)
                return true
            }
        }
        return false
    }

    private func attach(_ conn: BackendConnection) {
        conn.owner = self
        backend = conn
        routing.acquire(conn.backend)
        backendDeadline = worker.loop.now + routeEntry.route.timeouts.firstByteMs64
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

    /// The backend connection failed (connect refused or timed out, or closed/reset before
    /// a response). Retries elsewhere, as the route's `retries.on` allows, when nothing
    /// reached the backend (`connect-failure`) or when a reused keep-alive connection died
    /// before answering a request without a body (`reset-before-response`); otherwise 502.
    func backendFailed() {
        guard let b = backend else { return }
        let policy = routeEntry.route.retries
        let nothingSent = b.connecting && policy.onConnectFailure
        let staleReuse = b.reused && !responseBytesSeen && !requestHadBody && policy.onResetBeforeResponse
        // A reused keep-alive connection closed by the backend is a race, not a sick backend.
        if !(b.reused && !responseBytesSeen) { routing.recordFailure(b.backend, now: worker.loop.now) }
        detachBackend(reuse: false)
        if !responseHeadSent && (nothingSent || staleReuse) {
            if staleReuse { toBackend.restore(count: requestHeadLength) }
            if connectToNextBackend() { return }
        }
        if responseHeadSent { return abort() }
        respondError(502, "backend refused or reset the connection", close: requestBody != .none || requestHadBody)
    }
}
