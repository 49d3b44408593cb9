import CLinuxShim
import HTTP1
import ProxyCore
import Traffic

/// The request side of an exchange: from a complete head to bytes queued for a backend.
extension ClientConnection {
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
        let framing = requests.request.bodyFraming
        discardedBody = 0
        if !requests.request.keepAlive { closeAfterExchange = true }
        deadline = worker.loop.now + worker.settings.clientBodyTimeoutMs
        requestID.clear()
        let clientID = requests.request.head.fields.first { $0.kind == .xRequestId }.map { UnsafeRawBufferPointer(rebasing: buf[$0.value]) }
        worker.ids.appendRequestID(client: clientID, to: &requestID)
        logRequest.clear()
        logRequest.appendJSONEscaped(UnsafeRawBufferPointer(rebasing: buf[requests.request.method]))
        logRequest.append(0) // separator between method and path
        let target = requests.request.target
        var pathEnd = target.lowerBound
        while pathEnd < target.upperBound && buf[pathEnd] != UInt8(ascii: "?") { pathEnd += 1 }
        logRequest.appendJSONEscaped(UnsafeRawBufferPointer(rebasing: buf[target.lowerBound..<pathEnd]))

        let host = requests.request.head.hostIndex.map { UnsafeRawBufferPointer(rebasing: buf[requests.request.head.fields[$0].value]) }
        guard let route = routing.snapshot.table.match(host: host, path: UnsafeRawBufferPointer(rebasing: buf[target])) else {
            inbuf.consume(headEnd)
            respondError(Outcome(.proxy, .rejected, status: 404), "no route", close: framing != .none)
            return
        }
        routeIndex = route
        let config = routeEntry.route
        if requests.request.wantsUpgrade, let u = requests.request.head.upgradeIndex,
           !config.upgrades.allows(UnsafeRawBufferPointer(rebasing: buf[requests.request.head.fields[u].value])) {
            // A protocol the route does not tunnel: forwarded as a plain request (no Upgrade),
            // and a 101 to it is refused.
            requests.request.head.upgradeIndex = nil
        }
        exchange = Exchange(retries: config.retries, timeouts: config.timeouts, requestHasBody: framing != .none, wantsUpgrade: requests.request.wantsUpgrade)
        stickyKey.clear()
        let choice = PoolChoice.of(requests.request.head, buf, route: routeEntry.route, overrideName: routeEntry.overrideHeaderBytes,
                                   stickyName: routeEntry.stickyNameBytes, peer: peer, peerText: peerText)
        (pool, forced, newStickyKey) = worker.pool(for: choice, routing: routing, route: routeIndex, newKey: &stickyKey)
        writeRequestHead(buf, framing: framing)
        inbuf.consume(headEnd)
        requests.expectBody(framing)
        responses.reset()
        if !connectToNextBackend() {
            respondError(exchange.noBackendLeft(), "no backend available in either pool", close: framing != .none)
        }
    }

    /// Queues the request head for the backend, rewritten as `RequestRewrite` says.
    private func writeRequestHead(_ buf: UnsafeRawBufferPointer, framing: BodyFraming) {
        let entry = routeEntry
        // An HTTP/1.0 request without Host is sent with the backend's name (see RequestRewrite).
        let fallback = requests.request.head.hostIndex == nil
            ? entry.poolBackends[Int(pool.rawValue)].first.map { routing.snapshot.backendLabels[$0] } ?? []
            : []
        toBackend.clear()
        RequestRewrite.append(into: &toBackend, requests.request, buf, framing: framing, overrideName: entry.overrideHeaderBytes,
                              client: peerText, https: tls != nil, requestID: requestID.readable, hostFallback: fallback)
        requestHeadLength = toBackend.readableBytes
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

    /// Attaches a connection to the next backend to try (`Worker.connectNextBackend`).
    /// Returns false when none is left.
    func connectToNextBackend() -> Bool {
        guard let (conn, reused) = worker.connectNextBackend(exchange, routing: routing, route: routeIndex, pool: &pool,
                                                             backendIndex: &backendIndex, tried: &tried) else { return false }
        backendEOF = false
        attach(conn, reused: reused)
        return true
    }

    private func attach(_ conn: BackendConnection, reused: Bool) {
        conn.owner = self
        backend = conn
        routing.acquire(conn.backend)
        exchange.attached(reused: reused, connecting: conn.connecting, now: worker.loop.now)
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
