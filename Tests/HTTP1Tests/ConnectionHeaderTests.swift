import Testing
@testable import HTTP1

struct ConnectionHeaderTests {
    @Test func connectionTokensSetFlagsAndNominateHopByHopFields() throws {
        let input = request(
            "Connection: close, Keep-Alive, Upgrade",
            "X-Foo: 1",
            "connection: x-FOO ,, x-baz",
            "Keep-Alive: timeout=5",
            "Upgrade: websocket",
            "X-Bar: 2",
            "X-Baz: 3",
            "Cookie: c=1"
        )
        let events = expectSplitInvariant(bytes(input), isRequest: true)
        let r = try #require(events.first?.request)
        #expect(r.head.fields == [
            Field("Host", "h", .host),
            Field("Connection", "close, Keep-Alive, Upgrade", .connection),
            Field("X-Foo", "1", .hopByHop),
            Field("connection", "x-FOO ,, x-baz", .connection),
            Field("Keep-Alive", "timeout=5", .hopByHop),
            Field("Upgrade", "websocket", .upgrade),
            Field("X-Bar", "2", .other),
            Field("X-Baz", "3", .hopByHop),
            Field("Cookie", "c=1", .cookie),
        ])
        #expect(r.head.connectionClose)
        #expect(r.head.connectionKeepAlive)
        #expect(r.head.connectionUpgrade)
        #expect(r.head.upgradeIndex == 5)
        #expect(r.wantsUpgrade)
        #expect(!r.keepAlive, "close wins over keep-alive")
    }

    @Test func upgradeOnHTTP10IsIgnored() throws {
        // RFC 9110 7.8: a server must ignore Upgrade received in an HTTP/1.0 request.
        let text = request("Connection: keep-alive, Upgrade", "Upgrade: websocket", requestLine: "GET / HTTP/1.0")
        let r = try #require(run(bytes(text), isRequest: true).first?.request)
        #expect(r.head.connectionUpgrade && r.head.upgradeIndex != nil)
        #expect(!r.wantsUpgrade)
    }

    @Test func connectionCloseOnly() throws {
        let r = try #require(run(bytes(request("Connection: CLOSE")), isRequest: true).first?.request)
        #expect(r.head.connectionClose)
        #expect(!r.head.connectionKeepAlive)
        #expect(!r.head.connectionUpgrade)
        #expect(!r.keepAlive)
        #expect(!r.wantsUpgrade)
    }

    @Test func upgradeNeedsBothHeaders() throws {
        let onlyField = try #require(run(bytes(request("Upgrade: websocket")), isRequest: true).first?.request)
        #expect(onlyField.head.upgradeIndex == 1)
        #expect(!onlyField.wantsUpgrade)
        let onlyToken = try #require(run(bytes(request("Connection: upgrade")), isRequest: true).first?.request)
        #expect(onlyToken.head.connectionUpgrade)
        #expect(!onlyToken.wantsUpgrade)
    }

    @Test func tokensAreWholeElementsNotSubstrings() throws {
        let r = try #require(run(bytes(request("Connection: closed, keep-alive-ish, x", "X: 1", "X-Y: 2")), isRequest: true)
            .first?.request)
        #expect(!r.head.connectionClose)
        #expect(!r.head.connectionKeepAlive)
        #expect(r.head.fields[2].kind == .hopByHop)
        #expect(r.head.fields[3].kind == .other)
    }

    @Test func fieldKindsFromNamesInAnyCase() throws {
        let names: [(String, FieldKind)] = [
            ("TE", .hopByHop), ("te", .hopByHop), ("Trailer", .hopByHop), ("KEEP-ALIVE", .hopByHop),
            ("Proxy-Connection", .hopByHop), ("host", .host), ("Content-Length", .contentLength),
            ("connection", .connection), ("Upgrade", .upgrade), ("Expect", .expect), ("X-Forwarded-For", .xForwardedFor),
            ("x-forwarded-proto", .xForwardedProto), ("X-FORWARDED-HOST", .xForwardedHost), ("X-Request-ID", .xRequestId),
            ("cookie", .cookie), ("Cookies", .other), ("Hostname", .other), ("Content-Type", .other), ("T", .other),
            ("X-Forwarded-Port", .other), ("Transfer-Encodings", .other),
        ]
        for (name, kind) in names {
            let b = bytes(name)
            let got = b.withUnsafeBytes { FieldKind.classify($0, 0..<b.count) }
            #expect(got == kind, "\(name)")
        }
        // Transfer-Encoding classifies as framing (checked through the parser, since its value matters).
        let te = try #require(run(bytes(request("Transfer-ENCODING: chunked") + "0\r\n\r\n"), isRequest: true).first?.request)
        #expect(te.head.fields[1].kind == .transferEncoding)
    }

    @Test func expectContinueOnlyForThatValue() throws {
        let yes = try #require(run(bytes(request("Expect: 100-Continue")), isRequest: true).first?.request)
        #expect(yes.head.expectContinue)
        let no = try #require(run(bytes(request("Expect: something")), isRequest: true).first?.request)
        #expect(!no.head.expectContinue)
    }

    @Test func reusedHeadIsResetBetweenMessages() {
        // The same RequestHead parses a full-featured message, then a bare one: nothing leaks.
        var head = RequestHead()
        let first = bytes(Corpus.upgrade)
        let second = bytes("GET /x HTTP/1.0\r\n\r\n")
        first.withUnsafeBytes { buf in
            #expect(head.parse(buf, start: 0, headEnd: buf.count, limits: Limits()) == nil)
        }
        #expect(head.head.fields.count == 5)
        second.withUnsafeBytes { buf in
            #expect(head.parse(buf, start: 0, headEnd: buf.count, limits: Limits()) == nil)
        }
        #expect(head.head.fields.isEmpty)
        #expect(head.head.hostIndex == nil)
        #expect(head.head.upgradeIndex == nil)
        #expect(!head.head.connectionUpgrade)
        #expect(!head.head.connectionKeepAlive)
        #expect(head.version == .http10)
        #expect(head.headEnd == second.count)
    }
}
