import Testing
@testable import HTTP1

/// A request (or response) that must be refused with exactly `error`.
struct Rejection: Sendable, CustomTestStringConvertible {
    let label: String
    let input: [UInt8]
    let error: ParseError

    init(_ label: String, _ input: String, _ error: ParseError) {
        self.label = label
        self.input = bytes(input)
        self.error = error
    }

    init(_ label: String, raw input: [UInt8], _ error: ParseError) {
        self.label = label
        self.input = input
        self.error = error
    }

    var testDescription: String { label }
}

/// `GET / HTTP/1.1`, a Host, then `lines` (each without its CRLF), then the empty line.
func request(_ lines: String..., requestLine: String = "GET / HTTP/1.1", host: Bool = true) -> String {
    var s = requestLine + "\r\n"
    if host { s += "Host: h\r\n" }
    for line in lines { s += line + "\r\n" }
    return s + "\r\n"
}

/// The same with raw bytes for one extra header line (control bytes, non-ASCII).
func request(rawLine: [UInt8]) -> [UInt8] {
    bytes("GET / HTTP/1.1\r\nHost: h\r\n") + rawLine + bytes("\r\n\r\n")
}

/// Asserts `input` is refused with `error` in one piece, at every split point and byte by byte.
func expectRejected(_ input: [UInt8], _ error: ParseError, isRequest: Bool = true, limits: Limits = Limits(),
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let events = input.count <= 2048
        ? expectSplitInvariant(input, isRequest: isRequest, limits: limits, sourceLocation: sourceLocation)
        : run(input, isRequest: isRequest, limits: limits)
    #expect(events == [.headError(error)], sourceLocation: sourceLocation)
}

struct FramingRejectionTests {
    static let cases: [Rejection] = [
        Rejection("CL then TE", request("Content-Length: 5", "Transfer-Encoding: chunked", requestLine: "POST / HTTP/1.1"),
                  .badRequest(.contentLengthAndTransferEncoding)),
        Rejection("TE then CL", request("Transfer-Encoding: chunked", "Content-Length: 5", requestLine: "POST / HTTP/1.1"),
                  .badRequest(.contentLengthAndTransferEncoding)),
        Rejection("CL 0 with TE", request("Transfer-Encoding: chunked", "Content-Length: 0"),
                  .badRequest(.contentLengthAndTransferEncoding)),
        Rejection("two differing CL", request("Content-Length: 5", "Content-Length: 6"), .badRequest(.conflictingContentLength)),
        Rejection("CL list 5, 6", request("Content-Length: 5, 6"), .badRequest(.badContentLength)),
        Rejection("CL list 5,,5", request("Content-Length: 5,,5"), .badRequest(.badContentLength)),
        Rejection("CL trailing comma", request("Content-Length: 5,"), .badRequest(.badContentLength)),
        Rejection("CL letters", request("Content-Length: abc"), .badRequest(.badContentLength)),
        Rejection("CL digits then letter", request("Content-Length: 5a"), .badRequest(.badContentLength)),
        Rejection("CL negative", request("Content-Length: -1"), .badRequest(.badContentLength)),
        Rejection("CL plus sign", request("Content-Length: +5"), .badRequest(.badContentLength)),
        Rejection("CL hex", request("Content-Length: 0x10"), .badRequest(.badContentLength)),
        Rejection("CL decimal point", request("Content-Length: 5.0"), .badRequest(.badContentLength)),
        Rejection("CL inner space", request("Content-Length: 1 2"), .badRequest(.badContentLength)),
        Rejection("CL empty", request("Content-Length:"), .badRequest(.badContentLength)),
        Rejection("CL 19 digits", request("Content-Length: 1234567890123456789"), .badRequest(.badContentLength)),
        Rejection("TE gzip", request("Transfer-Encoding: gzip"), .badRequest(.unsupportedTransferEncoding)),
        Rejection("TE chunked, gzip", request("Transfer-Encoding: chunked, gzip"), .badRequest(.unsupportedTransferEncoding)),
        Rejection("TE gzip, chunked", request("Transfer-Encoding: gzip, chunked"), .badRequest(.unsupportedTransferEncoding)),
        Rejection("TE identity", request("Transfer-Encoding: identity"), .badRequest(.unsupportedTransferEncoding)),
        Rejection("TE empty", request("Transfer-Encoding:"), .badRequest(.unsupportedTransferEncoding)),
        Rejection("TE twice", request("Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
                  .badRequest(.unsupportedTransferEncoding)),
        Rejection("TE gzip then chunked lines", request("Transfer-Encoding: gzip", "Transfer-Encoding: chunked"),
                  .badRequest(.unsupportedTransferEncoding)),
        Rejection("TE chunkedx", request("Transfer-Encoding: chunkedx"), .badRequest(.unsupportedTransferEncoding)),
        Rejection("HTTP/1.0 with TE chunked",
                  request("Transfer-Encoding: chunked", requestLine: "POST / HTTP/1.0", host: false),
                  .badRequest(.unsupportedTransferEncoding)),
    ]

    @Test(arguments: cases)
    func refused(_ c: Rejection) {
        #expect(requestError(c.input) == c.error)
        #expect(c.error.status == 400)
        expectRejected(c.input, c.error)
    }

    @Test func sameContentLengthTwiceIsOne() throws {
        for input in [request("Content-Length: 5", "Content-Length: 5"), request("Content-Length: 5, 5"),
                      request("Content-Length: 5,5"), request("Content-Length: 5,  5"),
                      request("Content-Length: 005")] {
            let events = run(bytes(input + "abcde"), isRequest: true)
            try #require(events.count == 2, "\(input)")
            #expect(events[0].request?.head.contentLength == 5)
            #expect(events[1] == .body(bytes("abcde")))
        }
    }

    @Test func contentLengthLimits() {
        let max18 = run(bytes(request("Content-Length: 999999999999999999")), isRequest: true)
        #expect(max18.first?.request?.head.contentLength == 999_999_999_999_999_999)
        let zero = run(bytes(request("Content-Length: 0")), isRequest: true)
        #expect(zero.first?.request?.head.contentLength == 0)
        #expect(zero.count == 1)
    }

    @Test func chunkedIsCaseInsensitiveAndTrimmed() {
        let events = run(bytes(request("Transfer-Encoding:  CHUNKED \t", requestLine: "POST / HTTP/1.1") + "0\r\n\r\n"), isRequest: true)
        #expect(events.first?.request?.head.chunked == true)
        #expect(events.last == .body([]))
    }

    @Test func responsesFollowTheSameFramingRules() {
        #expect(responseError("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
            == .badRequest(.contentLengthAndTransferEncoding))
        #expect(responseError("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
            == .badRequest(.conflictingContentLength))
        #expect(responseError("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
            == .badRequest(.unsupportedTransferEncoding))
        #expect(responseError("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n") == .badRequest(.obsFold))
    }
}

struct SyntaxRejectionTests {
    static let cases: [Rejection] = [
        // Line discipline (found by the scanner).
        Rejection("obs-fold with SP", request("X-A: a", " b"), .badRequest(.obsFold)),
        Rejection("obs-fold with HTAB", request("X-A: a", "\tb"), .badRequest(.obsFold)),
        Rejection("first field folded", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", .badRequest(.obsFold)),
        Rejection("bare CR in value", request("X-A: a\rb"), .badRequest(.bareCR)),
        Rejection("bare CR at end of value", request("X-A: a\r"), .badRequest(.bareCR)),
        Rejection("bare CR in request line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.bareCR)),
        Rejection("CR CR LF ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", .badRequest(.bareCR)),
        Rejection("bare LF line endings", "GET / HTTP/1.1\nHost: h\n\n", .badRequest(.bareLF)),
        Rejection("bare LF after a field", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", .badRequest(.bareLF)),
        Rejection("bare LF ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\n", .badRequest(.bareLF)),
        Rejection("bare LF in value", request("X-A: a\nb"), .badRequest(.bareLF)),
        Rejection("too many leading empty lines", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
                  .badRequest(.badRequestLine)),
        // Field names.
        Rejection("space before colon", request("X-A : v"), .badRequest(.spaceBeforeColon)),
        Rejection("tab before colon", request("X-A\t: v"), .badRequest(.spaceBeforeColon)),
        Rejection("space before colon on Host", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", .badRequest(.spaceBeforeColon)),
        Rejection("name with (", request("X(A: v"), .badRequest(.badHeaderName)),
        Rejection("name with @", request("X@A: v"), .badRequest(.badHeaderName)),
        Rejection("name with /", request("X/A: v"), .badRequest(.badHeaderName)),
        Rejection("name with inner space", request("X A: v"), .badRequest(.spaceBeforeColon)),
        Rejection("name non-ASCII", request("Caf\u{E9}: v"), .badRequest(.badHeaderName)),
        Rejection("name with NUL", raw: request(rawLine: [0x58, 0x00, 0x41, 0x3A, 0x20, 0x76]), .badRequest(.badHeaderName)),
        Rejection("name with DEL", raw: request(rawLine: [0x58, 0x7F, 0x3A, 0x20, 0x76]), .badRequest(.badHeaderName)),
        Rejection("name byte 0xFF", raw: request(rawLine: [0xFF, 0x3A, 0x20, 0x76]), .badRequest(.badHeaderName)),
        Rejection("empty name", request(": v"), .badRequest(.badHeaderName)),
        Rejection("line without colon", request("NoColonHere"), .badRequest(.badHeaderName)),
        // Field values.
        Rejection("value with NUL", raw: request(rawLine: bytes("X-A: a") + [0x00] + bytes("b")), .badRequest(.badHeaderValue)),
        Rejection("value with DEL", raw: request(rawLine: bytes("X-A: a") + [0x7F] + bytes("b")), .badRequest(.badHeaderValue)),
        Rejection("value with 0x01", raw: request(rawLine: bytes("X-A: a") + [0x01]), .badRequest(.badHeaderValue)),
        Rejection("value with VT", raw: request(rawLine: bytes("X-A: a") + [0x0B] + bytes("b")), .badRequest(.badHeaderValue)),
        Rejection("value with FF", raw: request(rawLine: bytes("X-A: a") + [0x0C] + bytes("b")), .badRequest(.badHeaderValue)),
        Rejection("value with ESC", raw: request(rawLine: bytes("X-A: ") + [0x1B] + bytes("[0m")), .badRequest(.badHeaderValue)),
        Rejection("value with 0x1F", raw: request(rawLine: bytes("X-A: a") + [0x1F]), .badRequest(.badHeaderValue)),
        Rejection("Host value with NUL", raw: bytes("GET / HTTP/1.1\r\nHost: h") + [0x00] + bytes("\r\n\r\n"),
                  .badRequest(.badHeaderValue)),
        // Host.
        Rejection("missing Host on 1.1", request(host: false), .badRequest(.missingHost)),
        Rejection("missing Host, other fields", request("Accept: */*", host: false), .badRequest(.missingHost)),
        Rejection("duplicate Host", request("Host: h"), .badRequest(.duplicateHost)),
        Rejection("duplicate Host other case", request("HOST: other"), .badRequest(.duplicateHost)),
        Rejection("duplicate Host on 1.0", request("Host: a", "host: b", requestLine: "GET / HTTP/1.0", host: false),
                  .badRequest(.duplicateHost)),
        Rejection("Host with space", request("Host: exa mple.com", host: false), .badRequest(.badHost)),
        Rejection("Host with tab", request("Host: exa\tmple.com", host: false), .badRequest(.badHost)),
        Rejection("Host with slash", request("Host: a/b", host: false), .badRequest(.badHost)),
        Rejection("Host with @", request("Host: user@a", host: false), .badRequest(.badHost)),
        Rejection("Host with quote", request("Host: a\"b", host: false), .badRequest(.badHost)),
        Rejection("Host with backslash", request("Host: a\\b", host: false), .badRequest(.badHost)),
        Rejection("Host non-ASCII", request("Host: caf\u{E9}.example", host: false), .badRequest(.badHost)),
        Rejection("Host with ?", request("Host: a?b", host: false), .badRequest(.badHost)),
        // Request line.
        Rejection("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", .badRequest(.badRequestLine)),
        Rejection("HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", .badRequest(.badVersion)),
        Rejection("HTTP/1.9", "GET / HTTP/1.9\r\nHost: h\r\n\r\n", .badRequest(.badVersion)),
        Rejection("HTTP/0.9", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", .badRequest(.badRequestLine)),
        Rejection("lowercase http/1.1", "GET / http/1.1\r\nHost: h\r\n\r\n", .badRequest(.badRequestLine)),
        Rejection("no version", "GET /\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("short version", "GET / HTTP/1\r\nHost: h\r\n\r\n", .badRequest(.badRequestLine)),
        Rejection("HTTP/1.10", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", .badRequest(.badRequestLine)),
        Rejection("trailing space after version", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", .badRequest(.badRequestLine)),
        Rejection("absolute-form target with another Host", "GET http://example.com/ HTTP/1.1\r\nHost: other.com\r\n\r\n",
                  .badRequest(.hostMismatch)),
        Rejection("absolute-form target without Host", "GET http://example.com/ HTTP/1.0\r\n\r\n", .badRequest(.hostMismatch)),
        Rejection("absolute-form target without path", "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
                  .badRequest(.badTarget)),
        Rejection("absolute-form target with userinfo", "GET http://u@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
                  .badRequest(.badTarget)),
        Rejection("absolute-form target, other scheme", "GET ftp://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
                  .badRequest(.badTarget)),
        Rejection("fragment", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("fragment in the query", "GET /a?x#b HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("dot-dot segment", "GET /app/../admin HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("dot-dot at the end", "GET /app/.. HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("dot segment", "GET /app/./x HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("dot-dot before the query", "GET /app/..?x HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("encoded dot-dot", "GET /app/%2e%2e/admin HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("half-encoded dot-dot", "GET /app/.%2E/admin HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("dot-dot-semicolon", "GET /app/..;/admin HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("backslash", "GET /app\\..\\admin HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("dot-dot in absolute form", "GET http://h/app/../admin HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.dotSegment)),
        Rejection("CONNECT", "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", .methodNotAllowed),
        Rejection("TRACE", "TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", .methodNotAllowed),
        Rejection("CONNECT in authority form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                  .methodNotAllowed),
        Rejection("unknown method", "MKCOLA / HTTP/1.1\r\nHost: h\r\n\r\n", .methodNotImplemented),
        Rejection("RTSP method on HTTP/1.0", "ANNOUNCE /x HTTP/1.0\r\n\r\n", .methodNotImplemented),
        Rejection("lowercase method", "get / HTTP/1.1\r\nHost: h\r\n\r\n", .methodNotImplemented),
        Rejection("known method plus a letter", "GETS / HTTP/1.1\r\nHost: h\r\n\r\n", .methodNotImplemented),
        Rejection("HTTP/2 preface method", "PRI / HTTP/1.1\r\nHost: h\r\n\r\n", .methodNotImplemented),
        Rejection("authority-form target", "GET example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n",
                  .badRequest(.badTarget)),
        Rejection("asterisk with GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("asterisk plus more", "OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("target with a space", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badRequestLine)),
        Rejection("two spaces before target", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("tab instead of space", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badMethod)),
        Rejection("target with tab", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("target with 0x01", raw: bytes("GET /a") + [0x01] + bytes("b HTTP/1.1\r\nHost: h\r\n\r\n"), .badRequest(.badTarget)),
        Rejection("target with NUL", raw: bytes("GET /a") + [0x00] + bytes(" HTTP/1.1\r\nHost: h\r\n\r\n"), .badRequest(.badTarget)),
        Rejection("target with DEL", raw: bytes("GET /a") + [0x7F] + bytes(" HTTP/1.1\r\nHost: h\r\n\r\n"), .badRequest(.badTarget)),
        Rejection("target non-ASCII", "GET /caf\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badTarget)),
        Rejection("method with (", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badMethod)),
        Rejection("leading space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badMethod)),
        Rejection("no method", "/ HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(.badMethod)),
        Rejection("method only", "GET\r\nHost: h\r\n\r\n", .badRequest(.badMethod)),
    ]

    @Test(arguments: cases)
    func refused(_ c: Rejection) {
        #expect(requestError(c.input) == c.error)
        #expect(c.error.status == (c.error == .methodNotAllowed ? 405 : c.error == .methodNotImplemented ? 501 : 400))
        expectRejected(c.input, c.error)
    }

    @Test(arguments: [
        ("GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n", "/a?b"),
        ("GET HTTPS://Example.COM:8443/ HTTP/1.1\r\nHost: example.com:8443\r\n\r\n", "/"),
        ("GET /a/.../b/.c/d./..e?x=../.. HTTP/1.1\r\nHost: h\r\n\r\n", "/a/.../b/.c/d./..e?x=../.."),
        ("GET /a/%2e%2f/%2E%2E%2E HTTP/1.1\r\nHost: h\r\n\r\n", "/a/%2e%2f/%2E%2E%2E"),
        ("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", "*"),
    ])
    func acceptedTargets(input: String, target: String) throws {
        // An absolute-form target is served as its origin-form part (RFC 9112 3.2.2), with the
        // Host that names the same authority; dot-like names that are no dot-segment pass.
        let events = expectSplitInvariant(bytes(input), isRequest: true)
        #expect(try #require(events.first?.request).targetText == target)
    }

    @Test func obsTextAndTabsInValuesAreAccepted() throws {
        let input = request(rawLine: bytes("X-A: \ta\tb ") + [0x80, 0xC3, 0xA9, 0xFF] + bytes(" !~"))
        let events = expectSplitInvariant(input, isRequest: true)
        let r = try #require(events.first?.request)
        #expect(r.head.fields[1].value == bytes("a\tb ") + [0x80, 0xC3, 0xA9, 0xFF] + bytes(" !~"))
    }

    @Test func validHostForms() {
        for host in ["example.com", "example.com:8080", "[::1]:443", "10.0.0.1", "a_b-c~d", "", "xn--caf-dma.example"] {
            let events = run(bytes(request("Host: \(host)", host: false)), isRequest: true)
            #expect(events.first?.request?.head.fields.first?.value == bytes(host), "\(host)")
        }
    }

    @Test func tokenCharactersAreValidNamesAndMethods() throws {
        let name = "!#$%&'*+-.^_`|~09azAZ"
        let events = run(bytes("GET /p HTTP/1.1\r\nHost: h\r\n\(name): v\r\n\r\n"), isRequest: true)
        let r = try #require(events.first?.request)
        #expect(r.head.fields[1] == Field(name, "v"))
        // Any token is a method by its syntax (no 400), but one Sluice does not know is a 501.
        #expect(requestError("M-1!#$%&'*+.^_`|~ /p HTTP/1.1\r\nHost: h\r\n\r\n") == .methodNotImplemented)
    }

    @Test(arguments: ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "QUERY", "ACL", "BASELINE-CONTROL",
                      "BIND", "CHECKIN", "CHECKOUT", "COPY", "LABEL", "LINK", "LOCK", "MERGE", "MKACTIVITY",
                      "MKCALENDAR", "MKCOL", "MKREDIRECTREF", "MKWORKSPACE", "MOVE", "ORDERPATCH", "PROPFIND",
                      "PROPPATCH", "REBIND", "REPORT", "SEARCH", "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE",
                      "UPDATEREDIRECTREF", "VERSION-CONTROL", "PURGE", "SOURCE", "M-SEARCH", "NOTIFY", "SUBSCRIBE",
                      "UNSUBSCRIBE"])
    func knownMethodsAreForwarded(method: String) throws {
        let events = expectSplitInvariant(bytes("\(method) /p HTTP/1.1\r\nHost: h\r\n\r\n"), isRequest: true)
        #expect(try #require(events.first?.request).methodText == method)
    }

    @Test func statusCodesOfErrors() {
        #expect(ParseError.badRequest(.bareCR).status == 400)
        #expect(ParseError.uriTooLong.status == 414)
        #expect(ParseError.headersTooLarge.status == 431)
        #expect("\(ParseError.uriTooLong.reasonText)" == "request line too long")
        #expect("\(ParseError.headersTooLarge.reasonText)" == "header section too large")
        #expect("\(ParseError.badRequest(.obsFold).reasonText)" == "bad request")
    }

    @Test func malformedStatusLines() {
        for line in ["HTTP/1.1 20 OK", "HTTP/2 200 OK", "HTTP/1.1 200OK", "HTTP/1.1 099 Low", "http/1.1 200 OK",
                     "HTTP/1.2 200 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1  200 OK", "HTTP/1.1 200 O\u{7F}K"] {
            #expect(responseError(line + "\r\n\r\n") == .badRequest(.badStatusLine), "\(line)")
        }
        #expect(responseError("HTTP/1.1 200 OK\r\n\r\n") == nil)
        #expect(responseError("HTTP/1.1 200\r\n\r\n") == nil)
        #expect(responseError("HTTP/1.1 599 Last\r\n\r\n") == nil)
        for status in ["600", "999"] {
            #expect(responseError("HTTP/1.1 \(status) Whatever\r\n\r\n") == .badRequest(.badStatusLine), "\(status)")
        }
        // RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing.
        #expect(responseError("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == .badRequest(.unsupportedTransferEncoding))
        #expect(responseError("HTTP/1.1 200 OK\nX: y\r\n\r\n") == .badRequest(.bareLF))
        #expect(responseError("HTTP/1.1 200 O\rK\r\n\r\n") == .badRequest(.bareCR))
    }
}

struct LimitRejectionTests {
    /// A request line of exactly `length` bytes (CRLF not counted).
    static func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    @Test func requestLineAtTheLimitIsAccepted() {
        let limits = Limits()
        let input = bytes(request(requestLine: Self.requestLine(length: limits.requestLine)))
        #expect(requestError(input) == nil)
        // Split right after the CR that ends the line: the scanner must not count it as part of the line.
        let crIndex = limits.requestLine
        #expect(input[crIndex] == 0x0D)
        #expect(runSplit(input, at: [crIndex + 1], isRequest: true) == run(input, isRequest: true))
        #expect(runSplit(input, at: [crIndex], isRequest: true) == run(input, isRequest: true))
        #expect(runSplit(input, at: [crIndex - 1], isRequest: true) == run(input, isRequest: true))
    }

    @Test func requestLineOverTheLimitWhole() {
        let input = bytes(request(requestLine: Self.requestLine(length: Limits().requestLine + 1)))
        #expect(requestError(input) == .uriTooLong)
        #expect(ParseError.uriTooLong.status == 414)
        for cut in [1, 100, 8190, 8191, 8192, 8193, 8194, input.count - 1] {
            #expect(runSplit(input, at: [cut], isRequest: true) == [.headError(.uriTooLong)], "cut \(cut)")
        }
    }

    @Test func requestLineOverTheLimitIncomplete() {
        var scanner = HeadScanner(isRequest: true)
        let limits = Limits()
        let atLimit = bytes(Self.requestLine(length: limits.requestLine))
        let r1 = atLimit.withUnsafeBytes { scanner.scan($0, limits: limits) }
        #expect(r1 == .incomplete)
        let withCR = atLimit + [0x0D]
        let r2 = withCR.withUnsafeBytes { scanner.scan($0, limits: limits) }
        #expect(r2 == .incomplete, "a line of exactly the limit waiting for its LF is not too long")
        let over = atLimit + bytes("a")
        var fresh = HeadScanner(isRequest: true)
        let r3 = over.withUnsafeBytes { fresh.scan($0, limits: limits) }
        #expect(r3 == .error(.uriTooLong))
        // Without any line end, a long line keeps being refused as it grows, in any piece size.
        let huge = bytes("GET /" + String(repeating: "x", count: 20_000))
        #expect(run(huge, isRequest: true) == [.headError(.uriTooLong)])
        #expect(runSplit(huge, at: [4000, 8000, 12000], isRequest: true) == [.headError(.uriTooLong)])
    }

    @Test func smallRequestLineLimit() {
        let limits = Limits(requestLine: 20)
        #expect(requestError("GET /123456 HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits) == nil) // 20 bytes
        #expect(requestError("GET /1234567 HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits) == .uriTooLong) // 21 bytes
        // Leading empty lines do not count against the request line.
        #expect(requestError("\r\n\r\nGET /123456 HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits) == nil)
        // Nor do header lines, however long.
        #expect(requestError(request("X-Long: " + String(repeating: "v", count: 100), requestLine: "GET / HTTP/1.1"),
                             limits: limits) == nil)
        // Responses have no request-line limit.
        #expect(run(bytes("HTTP/1.1 200 " + String(repeating: "r", count: 100) + "\r\n\r\n"), isRequest: false, limits: limits)
            .first?.response?.status == 200)
    }

    /// A head of exactly `size` bytes (request line, Host, filler fields, empty line).
    static func head(size: Int) -> [UInt8] {
        var s = "GET / HTTP/1.1\r\nHost: h\r\n"
        var left = size - s.utf8.count - 2
        var n = 0
        while left > 0 {
            // "X-nnnn: " + value + CRLF, at most 1000 bytes a line.
            let prefix = "X-\(n): "
            let line = min(left, 1000)
            let valueLength = line - prefix.utf8.count - 2
            precondition(valueLength >= 1, "choose a size that leaves room for a line")
            s += prefix + String(repeating: "v", count: valueLength) + "\r\n"
            left -= line
            n += 1
        }
        s += "\r\n"
        let b = bytes(s)
        precondition(b.count == size)
        return b
    }

    @Test func headerSectionAtTheLimitIsAccepted() {
        let input = Self.head(size: 32 * 1024)
        #expect(requestError(input) == nil)
        #expect(runSplit(input, at: [16 * 1024, 32 * 1024 - 1], isRequest: true) == run(input, isRequest: true))
    }

    @Test func headerSectionOverTheLimitComplete() {
        // One byte over, and well over, arriving whole (as one large read delivers it) or in reads.
        for size in [32 * 1024 + 1, 40 * 1024] {
            let input = Self.head(size: size)
            #expect(requestError(input) == .headersTooLarge, "\(size) bytes in one piece")
            #expect(runSplit(input, at: [16 * 1024, 32 * 1024, 48 * 1024], isRequest: true) == [.headError(.headersTooLarge)],
                    "\(size) bytes in 16 KiB reads")
            #expect(runSplit(input, at: [size - 1], isRequest: true) == [.headError(.headersTooLarge)])
        }
        #expect(ParseError.headersTooLarge.status == 431)
    }

    @Test func headerSectionOverTheLimitIncomplete() {
        let complete = Self.head(size: 40 * 1024)
        let incomplete = Array(complete[..<(33 * 1024)])
        #expect(run(incomplete, isRequest: true) == [.headError(.headersTooLarge)])
        #expect(runSplit(incomplete, at: [1000, 20_000], isRequest: true) == [.headError(.headersTooLarge)])
        // Exactly at the limit and still incomplete: wait for more.
        let atLimit = Array(complete[..<(32 * 1024)])
        #expect(run(atLimit, isRequest: true) == [.unfinishedHead(buffered: 32 * 1024)])
        // The scanner refuses it directly too.
        var scanner = HeadScanner(isRequest: true)
        let r = incomplete.withUnsafeBytes { scanner.scan($0, limits: Limits()) }
        #expect(r == .error(.headersTooLarge))
    }

    @Test func headerSectionLimitAppliesToResponses() {
        let limits = Limits(headerSection: 64)
        let ok = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "v", count: 64 - 24) + "\r\n\r\n"
        #expect(ok.utf8.count == 64)
        #expect(responseError(ok, limits: limits) == nil)
        let over = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "v", count: 65 - 24) + "\r\n\r\n"
        #expect(responseError(over, limits: limits) == .headersTooLarge)
        #expect(runSplit(bytes(over), at: [30], isRequest: false, limits: limits) == [.headError(.headersTooLarge)])
    }

    @Test func leadingEmptyLinesDoNotCountAgainstTheSection() {
        let limits = Limits(headerSection: 27)
        let head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n" // 27 bytes
        #expect(requestError(head, limits: limits) == nil)
        #expect(requestError("\r\n\r\n" + head, limits: limits) == nil)
        #expect(requestError("GET / HTTP/1.1\r\nHost: hh\r\n\r\n", limits: limits) == .headersTooLarge)
    }

    @Test func headerCount() {
        let limits = Limits()
        // Host plus 127 more: exactly the limit of 128 fields.
        let fields = (0..<(limits.headerCount - 1)).map { "X-\($0): v" }
        let atLimit = "GET / HTTP/1.1\r\nHost: h\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
        #expect(requestError(atLimit) == nil)
        #expect(run(bytes(atLimit), isRequest: true).first?.request?.head.fields.count == 128)
        let over = "GET / HTTP/1.1\r\nHost: h\r\nX-extra: v\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
        #expect(requestError(over) == .headersTooLarge)
        #expect(requestError("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits: Limits(headerCount: 2)) == .headersTooLarge)
        #expect(requestError("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", limits: Limits(headerCount: 2)) == nil)
    }
}
