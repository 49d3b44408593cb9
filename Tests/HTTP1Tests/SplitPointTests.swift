import Testing
@testable import HTTP1

/// Every valid message gives the same result whether it arrives whole, split at any index,
/// or one byte at a time; and the one-shot result is the one expected.
struct RequestSplitPointTests {
    @Test func getWithSeveralHeaders() throws {
        let input = bytes(Corpus.getWithHeaders)
        let events = expectSplitInvariant(input, isRequest: true)
        try #require(events.count == 1)
        let r = try #require(events[0].request)
        #expect(r.methodText == "GET")
        #expect(r.targetText == "/search?q=sluice&page=2")
        #expect(r.version == .http11)
        #expect(!r.isHead)
        #expect(r.head.fields == [
            Field("Host", "example.com:8080", .host),
            Field("User-Agent", "curl/8.5.0"),
            Field("Accept", "*/*"),
            Field("X-Empty", ""),
            Field("X-Padded", "padded  value"),
            Field("Cookie", "a=b; c=d", .cookie),
            Field("X-Request-Id", "req-123", .xRequestId),
            Field("X-Obs-Text", "caf\u{E9}"),
            Field("Expect", "100-continue", .expect),
        ])
        #expect(r.head.hostIndex == 0)
        #expect(r.head.contentLength == nil)
        #expect(!r.head.chunked)
        #expect(r.head.expectContinue)
        #expect(r.keepAlive)
        #expect(r.head.upgradeIndex == nil)
        #expect(!r.wantsUpgrade)
        #expect(r.headStart == 0)
        #expect(r.headEnd == input.count)
    }

    @Test func postWithContentLength() throws {
        let input = bytes(Corpus.postContentLength)
        let events = expectSplitInvariant(input, isRequest: true)
        try #require(events.count == 2)
        let r = try #require(events[0].request)
        #expect(r.methodText == "POST")
        #expect(r.targetText == "/api/items")
        #expect(r.head.fields == [
            Field("Host", "api.local", .host),
            Field("Content-Type", "application/json"),
            Field("Content-Length", "13", .contentLength),
            Field("Connection", "keep-alive", .connection),
        ])
        #expect(r.head.contentLength == 13)
        #expect(!r.head.chunked)
        #expect(r.head.connectionKeepAlive)
        #expect(!r.head.connectionClose)
        #expect(r.keepAlive)
        #expect(r.head.hostIndex == 0)
        #expect(r.headEnd == input.count - 13)
        #expect(events[1] == .body(bytes("{\"id\": 12345}")))
    }

    @Test func chunkedPostWithExtensionsAndTrailers() throws {
        let input = bytes(Corpus.postChunked)
        let events = expectSplitInvariant(input, isRequest: true)
        try #require(events.count == 2)
        let r = try #require(events[0].request)
        #expect(r.methodText == "POST")
        #expect(r.targetText == "/upload")
        #expect(r.head.fields == [
            Field("Host", "up.example", .host),
            Field("transfer-encoding", "Chunked", .transferEncoding),
            Field("Trailer", "X-Checksum", .hopByHop),
        ])
        #expect(r.head.chunked)
        #expect(r.head.contentLength == nil)
        #expect(r.keepAlive)
        #expect(events[1] == .body(bytes("hello, world0123456789")))
    }

    @Test func http10WithoutHost() throws {
        let input = bytes(Corpus.http10NoHost)
        let events = expectSplitInvariant(input, isRequest: true)
        try #require(events.count == 1)
        let r = try #require(events[0].request)
        #expect(r.methodText == "GET")
        #expect(r.targetText == "/old/page.html")
        #expect(r.version == .http10)
        #expect(r.head.hostIndex == nil)
        #expect(r.head.fields == [Field("User-Agent", "legacy")])
        #expect(!r.keepAlive, "HTTP/1.0 closes unless it asks for keep-alive")
        #expect(r.headEnd == input.count)
    }

    @Test func http10KeepAlive() throws {
        let events = expectSplitInvariant(bytes(Corpus.http10KeepAlive), isRequest: true)
        try #require(events.count == 2)
        let r = try #require(events[0].request)
        #expect(r.version == .http10)
        #expect(r.head.connectionKeepAlive)
        #expect(r.keepAlive)
        #expect(r.head.contentLength == 2)
        #expect(events[1] == .body(bytes("hi")))
    }

    @Test func optionsAsterisk() throws {
        let events = expectSplitInvariant(bytes(Corpus.optionsStar), isRequest: true)
        try #require(events.count == 1)
        let r = try #require(events[0].request)
        #expect(r.methodText == "OPTIONS")
        #expect(r.targetText == "*")
        #expect(r.head.fields == [Field("Host", "h", .host)])
    }

    @Test func leadingEmptyLinesAreSkipped() throws {
        let input = bytes(Corpus.leadingCRLF)
        let events = expectSplitInvariant(input, isRequest: true)
        try #require(events.count == 1)
        let r = try #require(events[0].request)
        #expect(r.headStart == 4)
        #expect(r.methodText == "GET")
        #expect(r.targetText == "/")
        #expect(r.head.hostIndex == 0)
        #expect(r.headEnd == input.count)
    }

    @Test func upgradeRequest() throws {
        let events = expectSplitInvariant(bytes(Corpus.upgrade), isRequest: true)
        try #require(events.count == 1)
        let r = try #require(events[0].request)
        #expect(r.wantsUpgrade)
        #expect(r.head.connectionUpgrade)
        #expect(r.head.connectionKeepAlive)
        #expect(r.head.upgradeIndex == 2)
        #expect(r.head.fields[2] == Field("Upgrade", "websocket", .upgrade))
        #expect(r.head.fields[3].kind == .other)
    }

    @Test func pipelinedRequests() throws {
        let events = expectSplitInvariant(bytes(Corpus.pipelined), isRequest: true)
        try #require(events.count == 6)
        let a = try #require(events[0].request)
        #expect(a.methodText == "GET")
        #expect(a.targetText == "/a")
        #expect(a.headEnd == 28)
        let b = try #require(events[1].request)
        #expect(b.methodText == "POST")
        #expect(b.targetText == "/b")
        #expect(b.head.chunked)
        #expect(events[2] == .body(bytes("abc")))
        let c = try #require(events[3].request)
        #expect(c.methodText == "PUT")
        #expect(c.head.contentLength == 4)
        #expect(events[4] == .body(bytes("wxyz")))
        let d = try #require(events[5].request)
        #expect(d.methodText == "HEAD")
        #expect(d.isHead)
        #expect(d.targetText == "/d")
        #expect(!d.keepAlive)
        #expect(d.head.connectionClose)
        #expect(d.headStart == 0, "offsets are relative to the unread bytes after the previous message")
    }

    @Test func truncatedInputReportsWhatIsPending() {
        // A prefix of a valid message is never an error, however it is split.
        let input = bytes(Corpus.postChunked)
        for cut in stride(from: 1, to: input.count, by: 7) {
            let prefix = Array(input[..<cut])
            let events = expectSplitInvariant(prefix, isRequest: true)
            if case .headError = events.last { Issue.record("prefix of \(cut) bytes refused") }
            if case .bodyError = events.last { Issue.record("prefix of \(cut) bytes refused") }
        }
    }
}

struct ResponseSplitPointTests {
    @Test func contentLengthResponse() throws {
        let input = bytes(Corpus.responseContentLength)
        let events = expectSplitInvariant(input, isRequest: false)
        try #require(events.count == 2)
        let r = try #require(events[0].response)
        #expect(r.status == 200)
        #expect(r.reasonText == "OK")
        #expect(r.isHTTP11)
        #expect(r.keepAlive)
        #expect(r.fieldsStart == 17)
        #expect(r.head.fields == [
            Field("Content-Type", "text/plain"),
            Field("Content-Length", "5", .contentLength),
            Field("Set-Cookie", "a=1"),
            Field("Set-Cookie", "b=2"),
        ])
        #expect(r.head.contentLength == 5)
        #expect(!r.head.chunked)
        #expect(r.headEnd == input.count - 5)
        #expect(events[1] == .body(bytes("hello")))
    }

    @Test func chunkedResponse() throws {
        let events = expectSplitInvariant(bytes(Corpus.responseChunked), isRequest: false)
        try #require(events.count == 2)
        let r = try #require(events[0].response)
        #expect(r.status == 201)
        #expect(r.reasonText == "Created Here")
        #expect(r.head.chunked)
        #expect(r.head.contentLength == nil)
        #expect(r.head.connectionKeepAlive)
        #expect(r.keepAlive)
        #expect(events[1] == .body(bytes("Wikipedia in\r\n\r\nchunks.")))
    }

    @Test func http10Response() throws {
        let events = expectSplitInvariant(bytes(Corpus.response10), isRequest: false)
        try #require(events.count == 2)
        let r = try #require(events[0].response)
        #expect(!r.isHTTP11)
        #expect(r.status == 200)
        #expect(!r.keepAlive)
        #expect(r.head.fields == [Field("Server", "old")])
        #expect(events[1] == .body(bytes("body until close")))
    }

    @Test func http10KeepAliveResponse() throws {
        let events = expectSplitInvariant(bytes(Corpus.response10KeepAlive), isRequest: false)
        try #require(events.count == 2)
        let r = try #require(events[0].response)
        #expect(!r.isHTTP11)
        #expect(r.keepAlive)
        #expect(r.head.contentLength == 3)
        #expect(events[1] == .body(bytes("abc")))
    }

    @Test func noContentResponse() throws {
        let events = expectSplitInvariant(bytes(Corpus.responseNoContent), isRequest: false)
        try #require(events.count == 1)
        let r = try #require(events[0].response)
        #expect(r.status == 204)
        #expect(r.reasonText == "No Content")
        #expect(r.head.connectionClose)
        #expect(!r.keepAlive)
    }

    @Test func interimThenFinalResponses() throws {
        let events = expectSplitInvariant(bytes(Corpus.responseContinueThenOK), isRequest: false)
        try #require(events.count == 5)
        #expect(events[0].response?.status == 100)
        #expect(events[0].response?.reasonText == "Continue")
        #expect(events[0].response?.head.fields == [])
        #expect(events[1].response?.status == 404)
        #expect(events[1].response?.reasonText == "")
        #expect(events[2] == .body([]))
        #expect(events[3].response?.status == 200)
        #expect(events[3].response?.reasonText == "")
        #expect(events[4] == .body(bytes("ok")))
    }
}
