import HTTP1
import Testing
import Traffic
@testable import ProxyCore

/// Parses `text` as one request (or response) head and runs `body` on it with its bytes.
private func withRequest<R>(_ text: String, _ body: (RequestHead, UnsafeRawBufferPointer) -> R) -> R {
    Array(text.utf8).withUnsafeBytes { buf in
        var reader = MessageReader(isRequest: true)
        guard case .head = reader.read(buf, eof: false, limits: Limits()) else { fatalError("not a head: \(text)") }
        return body(reader.request, buf)
    }
}

private func withResponse<R>(_ text: String, _ body: (ResponseHead, UnsafeRawBufferPointer) -> R) -> R {
    Array(text.utf8).withUnsafeBytes { buf in
        var reader = MessageReader(isRequest: false)
        guard case .head = reader.read(buf, eof: false, limits: Limits()) else { fatalError("not a head: \(text)") }
        return body(reader.response, buf)
    }
}

private func string(_ out: borrowing ByteBuffer) -> String { String(decoding: out.readable, as: UTF8.self) }

@Suite struct PoolChoiceTests {
    let peer = IPAddress(parsing: "127.0.0.1")!

    func route(sticky: StickyConfig? = nil, override: OverrideConfig? = nil) -> Route {
        Route(name: "app", blue: PoolConfig(backends: []), green: PoolConfig(backends: []), sticky: sticky, override: override)
    }

    func choice(_ text: String, _ route: Route, peer: IPAddress? = nil) -> PoolChoice {
        withRequest(text) { head, buf in
            PoolChoice.of(head.head, buf, route: route, overrideName: Array((route.override?.header ?? "").utf8),
                          stickyName: Array((route.sticky?.name ?? "").utf8), peer: peer ?? self.peer,
                          peerText: PeerText(IPAddress(parsing: "10.1.2.3")!))
        }
    }

    @Test func theOverrideHeaderForcesAPoolOnlyFromAllowedAddresses() {
        let r = route(override: OverrideConfig(header: "X-Sluice-Pool", allowFrom: [CIDR(parsing: "127.0.0.0/8")!]))
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\nx-sluice-pool: GREEN\r\n\r\n", r) == .forced(.green))
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\nX-Sluice-Pool: green\r\n\r\n", r, peer: IPAddress(parsing: "10.0.0.1")!) == .byWeight)
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\nX-Sluice-Pool: red\r\n\r\n", r) == .byWeight)
    }

    @Test func aStickyCookieDecidesOrAsksForANewKey() {
        let r = route(sticky: StickyConfig(by: .cookie, name: "sid"))
        let key = Array("abc".utf8).withUnsafeBytes { StickyHash.bucket($0) }
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\nCookie: x=1; sid=abc\r\n\r\n", r) == .sticky(bucket: key))
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\nCookie: sidx=abc\r\n\r\n", r) == .newStickyKey)
    }

    @Test func aStickyHeaderOrAddressDecides() {
        let byHeader = route(sticky: StickyConfig(by: .header, name: "X-User"))
        let key = Array("u1".utf8).withUnsafeBytes { StickyHash.bucket($0) }
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\nx-user: u1\r\n\r\n", byHeader) == .sticky(bucket: key))
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\n\r\n", byHeader) == .byWeight)
        let address = Array("10.1.2.3".utf8).withUnsafeBytes { StickyHash.bucket($0) }
        #expect(choice("GET / HTTP/1.1\r\nHost: a\r\n\r\n", route(sticky: StickyConfig(by: .clientIP))) == .sticky(bucket: address))
    }
}

@Suite struct RewriteTests {
    func request(_ text: String, framing: BodyFraming? = nil, https: Bool = false, fallback: String = "") -> String {
        withRequest(text) { head, buf in
            var out = ByteBuffer()
            Array("rid-1".utf8).withUnsafeBytes { id in
                RequestRewrite.append(into: &out, head, buf, framing: framing ?? head.bodyFraming, overrideName: Array("X-Sluice-Pool".utf8),
                                      client: PeerText(IPAddress(parsing: "10.1.2.3")!), https: https, requestID: id, hostFallback: Array(fallback.utf8))
            }
            return string(out)
        }
    }

    func response(_ text: String, upgrade: Bool = false, chunked: Bool = false) -> String {
        withResponse(text) { head, buf in
            var out = ByteBuffer()
            ResponseRewrite.append(into: &out, head, buf, upgrade: upgrade, chunked: chunked)
            return string(out)
        }
    }

    @Test func hopByHopAndSluicesOwnFieldsAreReplaced() {
        let out = request("POST /p?q=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, x-drop\r\nKeep-Alive: 5\r\nTE: trailers\r\n"
            + "X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-Proto: ftp\r\nX-Request-Id: theirs\r\nx-sluice-pool: green\r\nContent-Length: 3\r\nAccept: */*\r\n\r\n")
        #expect(out == "POST /p?q=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-Forwarded-For: 1.1.1.1, 10.1.2.3\r\nX-Forwarded-Proto: http\r\n"
            + "X-Forwarded-Host: h\r\nX-Request-Id: rid-1\r\nContent-Length: 3\r\n\r\n")
    }

    @Test func chunkedAndHTTP10RequestsAreRestated() {
        let chunked = request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", https: true)
        #expect(chunked.hasSuffix("X-Forwarded-Proto: https\r\nX-Forwarded-Host: h\r\nX-Request-Id: rid-1\r\nTransfer-Encoding: chunked\r\n\r\n"))
        let old = request("GET / HTTP/1.0\r\n\r\n", fallback: "backend:8001")
        #expect(old == "GET / HTTP/1.1\r\nX-Forwarded-For: 10.1.2.3\r\nX-Forwarded-Proto: http\r\nHost: backend:8001\r\nX-Request-Id: rid-1\r\n\r\n")
        let upgrade = request("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(upgrade.hasSuffix("X-Request-Id: rid-1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"))
    }

    @Test func responseHeadsStateTheirOwnFraming() {
        #expect(response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\nX-Sluice-Pool: green\r\nConnection: keep-alive\r\nX-A: b\r\n\r\n")
            == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n")
        #expect(response("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n") == "HTTP/1.1 204 No Content\r\n")
        #expect(response("HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n") == "HTTP/1.1 100 Continue\r\n")
        #expect(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunked: true)
            == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n")
        #expect(response("HTTP/1.0 200 OK\r\n\r\n") == "HTTP/1.1 200 OK\r\n")
        #expect(response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", upgrade: true)
            == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n")
        // A HEAD or 304 response keeps the length it announces.
        #expect(response("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n") == "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n")
    }

    /// The fields an HTTP/1.1 and an HTTP/2 client get from a backend's head: never a
    /// hop-by-hop one nor Sluice's own, Upgrade only on a 101.
    @Test func passesDropsHopByHopAndOwnFields() {
        for kind in [FieldKind.connection, .hopByHop, .transferEncoding, .xRequestId, .xSluicePool] {
            #expect(!ResponseRewrite.passes(kind, upgrade: false) && !ResponseRewrite.passes(kind, upgrade: true))
        }
        #expect(!ResponseRewrite.passes(.upgrade, upgrade: false) && ResponseRewrite.passes(.upgrade, upgrade: true))
        for kind in [FieldKind.other, .contentLength, .cookie, .host, .xForwardedFor] {
            #expect(ResponseRewrite.passes(kind, upgrade: false))
        }
    }
}
