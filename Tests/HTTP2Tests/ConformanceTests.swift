import Testing
@testable import HTTP2

/// The error cases a conformance tool like h2spec checks for RFC 9113 sections 3-8 and
/// RFC 7541, each answered with the error the RFC requires. Every case runs split at every
/// point as well.
struct ConformanceTests {
    enum Expect: CustomStringConvertible {
        case goaway(HTTP2ErrorCode)
        case rst(UInt32, HTTP2ErrorCode)
        /// No error: the connection stays open and writes no GOAWAY or RST_STREAM.
        case fine

        var description: String {
            switch self {
            case .goaway(let c): "GOAWAY \(c)"
            case .rst(let s, let c): "RST_STREAM \(s) \(c)"
            case .fine: "no error"
            }
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var build: @Sendable (inout Client) -> Void
        var expect: Expect
        var testDescription: String { name }
        init(_ name: String, _ expect: Expect, _ build: @escaping @Sendable (inout Client) -> Void) {
            self.name = name
            self.build = build
            self.expect = expect
        }
    }

    /// A literal field without indexing, name and value as given (no lowercasing).
    static func raw(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (n, v) in fields {
            out.append(0)
            HPACKInteger.encode(n.utf8.count, prefixBits: 7, flags: 0, into: &out); out += Array(n.utf8)
            HPACKInteger.encode(v.utf8.count, prefixBits: 7, flags: 0, into: &out); out += Array(v.utf8)
        }
        return out
    }

    static let cases: [Case] = [
        // 3.4 / 3.5 preface
        Case("3.5 invalid preface", .goaway(.protocolError)) { c in c.bytes = Array("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".utf8) },
        Case("3.5 first frame not SETTINGS", .goaway(.protocolError)) { c in c = Client(); c.ping() },
        // 4.1 frame format
        Case("4.1 unknown frame type ignored", .fine) { c in c.frame(type: 0x16, stream: 0, [1, 2]); c.ping() },
        Case("4.1 undefined flags ignored", .fine) { c in c.frame(type: FrameType.ping, flags: 0x16, stream: 0, [UInt8](repeating: 0, count: 8)) },
        // 4.2 frame size
        Case("4.2 DATA over SETTINGS_MAX_FRAME_SIZE", .goaway(.frameSizeError)) { c in
            c.headers(1, post(), endStream: false); c.data(1, [UInt8](repeating: 0x61, count: 16_385)) },
        Case("4.2 HEADERS over SETTINGS_MAX_FRAME_SIZE", .goaway(.frameSizeError)) { c in
            c.rawHeaders(1, c.block(get) + raw([("x-big", String(repeating: "a", count: 16_400))])) },
        // 4.3 header compression
        Case("4.3 invalid header block", .goaway(.compressionError)) { c in c.rawHeaders(1, [0x80]) },
        Case("4.3 PRIORITY between HEADERS and CONTINUATION", .goaway(.protocolError)) { c in
            let b = c.block(get); c.rawHeaders(1, Array(b[..<2]), endHeaders: false); c.priority(1, dependsOn: 0); c.continuation(1, Array(b[2...])) },
        // 5.1 stream states
        Case("5.1 idle: DATA", .goaway(.protocolError)) { c in c.data(1, [1]) },
        Case("5.1 idle: RST_STREAM", .goaway(.protocolError)) { c in c.rst(1) },
        Case("5.1 idle: WINDOW_UPDATE", .goaway(.protocolError)) { c in c.windowUpdate(1, 100) },
        Case("5.1 idle: CONTINUATION", .goaway(.protocolError)) { c in c.continuation(1, c.block(get)) },
        Case("5.1 half closed (remote): DATA", .rst(1, .streamClosed)) { c in c.headers(1, get); c.data(1, [1]) },
        Case("5.1 half closed (remote): HEADERS", .rst(1, .streamClosed)) { c in c.headers(1, get); c.headers(1, [("x", "y")]) },
        Case("5.1 half closed (remote): CONTINUATION", .goaway(.protocolError)) { c in c.headers(1, get); c.continuation(1, [0x82]) },
        Case("5.1 closed: DATA after RST_STREAM", .rst(1, .streamClosed)) { c in c.headers(1, get, endStream: false); c.rst(1); c.data(1, [1]) },
        Case("5.1 closed: HEADERS after RST_STREAM", .rst(1, .streamClosed)) { c in c.headers(1, get, endStream: false); c.rst(1); c.headers(1, [("x", "y")]) },
        Case("5.1 closed: CONTINUATION after RST_STREAM", .goaway(.protocolError)) { c in c.headers(1, get, endStream: false); c.rst(1); c.continuation(1, [0x82]) },
        Case("5.1.1 even stream id", .goaway(.protocolError)) { c in c.headers(2, get) },
        Case("5.1.1 stream id lower than one used", .goaway(.protocolError)) { c in c.headers(5, get); c.headers(3, get) },
        Case("5.1.2 over SETTINGS_MAX_CONCURRENT_STREAMS", .rst(201, .refusedStream)) { c in
            for s in stride(from: UInt32(1), through: 201, by: 2) { c.headers(s, get, endStream: false) } },
        // 5.3 priority
        Case("5.3.1 HEADERS depending on itself", .rst(1, .protocolError)) { c in
            c.rawHeaders(1, c.block(get), extraFlags: FrameFlags.priority, prefix: be32(1) + [16]) },
        Case("5.3.1 PRIORITY depending on itself", .rst(1, .protocolError)) { c in c.priority(1, dependsOn: 1) },
        // 5.5 extensions
        Case("5.5 unknown frame inside a header block", .goaway(.protocolError)) { c in
            let b = c.block(get); c.rawHeaders(1, Array(b[..<2]), endHeaders: false); c.frame(type: 0x16, stream: 1, []); c.continuation(1, Array(b[2...])) },
        // 6.1 DATA
        Case("6.1 DATA on stream 0", .goaway(.protocolError)) { c in c.frame(type: FrameType.data, stream: 0, [1]) },
        Case("6.1 DATA with invalid pad length", .goaway(.protocolError)) { c in
            c.headers(1, post(), endStream: false); c.frame(type: FrameType.data, flags: FrameFlags.padded, stream: 1, [6, 1, 2, 3, 4, 5]) },
        // 6.2 HEADERS
        Case("6.2 HEADERS without END_HEADERS then PRIORITY", .goaway(.protocolError)) { c in
            c.rawHeaders(1, c.block(get), endHeaders: false); c.priority(3, dependsOn: 0) },
        Case("6.2 HEADERS on stream 0", .goaway(.protocolError)) { c in c.headers(0, get) },
        Case("6.2 HEADERS with invalid pad length", .goaway(.protocolError)) { c in
            c.rawHeaders(1, c.block(get), extraFlags: FrameFlags.padded, prefix: [200]) },
        Case("6.2 HEADERS then CONTINUATION on another stream", .goaway(.protocolError)) { c in
            let b = c.block(get); c.rawHeaders(1, Array(b[..<2]), endHeaders: false); c.continuation(3, Array(b[2...])) },
        // 6.3 PRIORITY
        Case("6.3 PRIORITY on stream 0", .goaway(.protocolError)) { c in c.frame(type: FrameType.priority, stream: 0, [0, 0, 0, 1, 16]) },
        Case("6.3 PRIORITY of 4 bytes", .rst(1, .frameSizeError)) { c in c.frame(type: FrameType.priority, stream: 1, [0, 0, 0, 3]) },
        // 6.4 RST_STREAM
        Case("6.4 RST_STREAM on stream 0", .goaway(.protocolError)) { c in c.frame(type: FrameType.rstStream, stream: 0, [0, 0, 0, 8]) },
        Case("6.4 RST_STREAM of 3 bytes", .goaway(.frameSizeError)) { c in c.headers(1, get, endStream: false); c.frame(type: FrameType.rstStream, stream: 1, [0, 0, 8]) },
        // 6.5 SETTINGS
        Case("6.5 SETTINGS ACK with a payload", .goaway(.frameSizeError)) { c in c.frame(type: FrameType.settings, flags: FrameFlags.ack, stream: 0, [0, 1, 0, 0, 0, 0]) },
        Case("6.5 SETTINGS on a stream", .goaway(.protocolError)) { c in c.frame(type: FrameType.settings, stream: 1, []) },
        Case("6.5 SETTINGS of 3 bytes", .goaway(.frameSizeError)) { c in c.frame(type: FrameType.settings, stream: 0, [0, 1, 0]) },
        Case("6.5.2 SETTINGS_ENABLE_PUSH 2", .goaway(.protocolError)) { c in c.settings([Setting(Setting.enablePush, 2)]) },
        Case("6.5.2 SETTINGS_INITIAL_WINDOW_SIZE 2^31", .goaway(.flowControlError)) { c in c.settings([Setting(Setting.initialWindowSize, 1 << 31)]) },
        Case("6.5.2 SETTINGS_MAX_FRAME_SIZE 16383", .goaway(.protocolError)) { c in c.settings([Setting(Setting.maxFrameSize, 16_383)]) },
        Case("6.5.2 SETTINGS_MAX_FRAME_SIZE 2^24", .goaway(.protocolError)) { c in c.settings([Setting(Setting.maxFrameSize, 1 << 24)]) },
        Case("6.5.2 unknown setting ignored", .fine) { c in c.settings([Setting(0xFF, 1)]) },
        // 6.7 PING
        Case("6.7 PING on a stream", .goaway(.protocolError)) { c in c.frame(type: FrameType.ping, stream: 1, [UInt8](repeating: 0, count: 8)) },
        Case("6.7 PING of 6 bytes", .goaway(.frameSizeError)) { c in c.frame(type: FrameType.ping, stream: 0, [UInt8](repeating: 0, count: 6)) },
        // 6.8 GOAWAY
        Case("6.8 GOAWAY on a stream", .goaway(.protocolError)) { c in c.frame(type: FrameType.goaway, stream: 1, [UInt8](repeating: 0, count: 8)) },
        // 6.9 WINDOW_UPDATE
        Case("6.9 WINDOW_UPDATE of 0 on the connection", .goaway(.protocolError)) { c in c.windowUpdate(0, 0) },
        Case("6.9 WINDOW_UPDATE of 0 on a stream", .rst(1, .protocolError)) { c in c.headers(1, get, endStream: false); c.windowUpdate(1, 0) },
        Case("6.9 WINDOW_UPDATE of 3 bytes", .goaway(.frameSizeError)) { c in c.frame(type: FrameType.windowUpdate, stream: 0, [0, 0, 1]) },
        Case("6.9.1 connection window over 2^31-1", .goaway(.flowControlError)) { c in c.windowUpdate(0, 0x7FFF_FFFF) },
        Case("6.9.1 stream window over 2^31-1", .rst(1, .flowControlError)) { c in c.headers(1, get, endStream: false); c.windowUpdate(1, 0x7FFF_FFFF) },
        Case("6.9.2 SETTINGS_INITIAL_WINDOW_SIZE overflowing a stream window", .goaway(.flowControlError)) { c in
            c.headers(1, get, endStream: false); c.windowUpdate(1, 0x7FFF_FFFF - 65_535); c.settings([Setting(Setting.initialWindowSize, 65_536)]) },
        Case("6.9.2 SETTINGS_INITIAL_WINDOW_SIZE may make a window negative", .fine) { c in
            c.headers(1, get, endStream: false); c.settings([Setting(Setting.initialWindowSize, 0)]) },
        // 6.10 CONTINUATION
        Case("6.10 CONTINUATION after END_HEADERS", .goaway(.protocolError)) { c in c.headers(1, get, endStream: false); c.continuation(1, [0x82]) },
        Case("6.10 CONTINUATION after DATA", .goaway(.protocolError)) { c in c.headers(1, post(), endStream: false); c.data(1, [1]); c.continuation(1, [0x82]) },
        Case("6.10 CONTINUATION on stream 0", .goaway(.protocolError)) { c in
            let b = c.block(get); c.rawHeaders(1, Array(b[..<2]), endHeaders: false); c.continuation(0, Array(b[2...])) },
        // 8.1 HTTP message framing
        Case("8.1 second HEADERS without END_STREAM", .rst(1, .protocolError)) { c in c.headers(1, post(), endStream: false); c.headers(1, [("x", "y")], endStream: false) },
        Case("8.1 trailers with a pseudo-header field", .rst(1, .protocolError)) { c in c.headers(1, post(), endStream: false); c.headers(1, [(":method", "GET")]) },
        Case("8.2 uppercase field name", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([("X-Upper", "1")])) },
        Case("8.2 field value with NUL", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([("x-nul", "a\u{0}b")])) },
        Case("8.2 field value with CR LF", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([("x-crlf", "a\r\nb: c")])) },
        Case("8.2 field value with leading space", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([("x-sp", " a")])) },
        Case("8.2 field name with a space", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([("x y", "a")])) },
        Case("8.2.2 connection", .rst(1, .protocolError)) { c in c.headers(1, get + [("connection", "keep-alive")]) },
        Case("8.2.2 transfer-encoding", .rst(1, .protocolError)) { c in c.headers(1, get + [("transfer-encoding", "chunked")]) },
        Case("8.2.2 keep-alive", .rst(1, .protocolError)) { c in c.headers(1, get + [("keep-alive", "timeout=5")]) },
        Case("8.2.2 upgrade", .rst(1, .protocolError)) { c in c.headers(1, get + [("upgrade", "h2c")]) },
        Case("8.2.2 te other than trailers", .rst(1, .protocolError)) { c in c.headers(1, get + [("te", "gzip")]) },
        Case("8.2.2 te trailers accepted", .fine) { c in c.headers(1, get + [("te", "trailers")]) },
        Case("8.3 unknown pseudo-header field", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([(":foo", "bar")])) },
        Case("8.3 response pseudo-header field in a request", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([(":status", "200")])) },
        Case("8.3 pseudo-header field after a regular one", .rst(1, .protocolError)) { c in
            c.rawHeaders(1, raw([(":method", "GET"), (":scheme", "https"), ("x", "1"), (":path", "/"), (":authority", "a")])) },
        Case("8.3 duplicate :path", .rst(1, .protocolError)) { c in c.rawHeaders(1, c.block(get) + raw([(":path", "/")])) },
        Case("8.3 duplicate :method", .rst(1, .protocolError)) { c in c.rawHeaders(1, raw([(":method", "GET"), (":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "a")])) },
        Case("8.3.1 empty :path", .rst(1, .protocolError)) { c in c.rawHeaders(1, raw([(":method", "GET"), (":scheme", "https"), (":path", ""), (":authority", "a")])) },
        Case("8.3.1 no :method", .rst(1, .protocolError)) { c in c.rawHeaders(1, raw([(":scheme", "https"), (":path", "/"), (":authority", "a")])) },
        Case("8.3.1 no :scheme", .rst(1, .protocolError)) { c in c.rawHeaders(1, raw([(":method", "GET"), (":path", "/"), (":authority", "a")])) },
        Case("8.3.1 no :path", .rst(1, .protocolError)) { c in c.rawHeaders(1, raw([(":method", "GET"), (":scheme", "https"), (":authority", "a")])) },
        Case("8.3.1 host differs from :authority", .rst(1, .protocolError)) { c in c.headers(1, get + [("host", "other.example")]) },
        Case("8.1.1 content-length and one DATA frame disagree", .rst(1, .protocolError)) { c in
            c.headers(1, post(length: 4), endStream: false); c.data(1, Array("abc".utf8), endStream: true) },
        Case("8.1.1 content-length and several DATA frames disagree", .rst(1, .protocolError)) { c in
            c.headers(1, post(length: 4), endStream: false); c.data(1, Array("abc".utf8)); c.data(1, Array("de".utf8), endStream: true) },
        Case("8.1.1 content-length with END_STREAM on HEADERS", .rst(1, .protocolError)) { c in c.headers(1, post(length: 4)) },
        Case("8.4 PUSH_PROMISE from a client", .goaway(.protocolError)) { c in c.frame(type: FrameType.pushPromise, flags: FrameFlags.endHeaders, stream: 1, [0, 0, 0, 2, 0x82]) },
        // RFC 7541
        Case("7541 2.3.3 index past the tables", .goaway(.compressionError)) { c in c.rawHeaders(1, [0xFF, 0x80, 0x01]) },
        Case("7541 4.2 table size update over the setting", .goaway(.compressionError)) { c in c.rawHeaders(1, [0x3F, 0xE2, 0x1F] + c.block(get)) },
        Case("7541 5.2 EOS in a Huffman string", .goaway(.compressionError)) { c in c.rawHeaders(1, [0x00, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x61]) },
        Case("7541 5.2 padding longer than 7 bits", .goaway(.compressionError)) { c in c.rawHeaders(1, [0x00, 0x82, 0x1F, 0xFF, 0x01, 0x61]) },
        Case("7541 5.2 padding not EOS", .goaway(.compressionError)) { c in c.rawHeaders(1, [0x00, 0x81, 0x1B, 0x01, 0x61]) },
        Case("7541 6.1 index 0", .goaway(.compressionError)) { c in c.rawHeaders(1, [0x80]) },
        Case("7541 6.3 table size update after a field", .goaway(.compressionError)) { c in c.rawHeaders(1, c.block(get) + [0x20]) },
    ]

    @Test(arguments: cases)
    func answersAsTheRFCRequires(_ testCase: Case) {
        var client = Client.started()
        testCase.build(&client)
        let t = expectSplitInvariant(client.bytes)
        let errors = t.answers.filter { $0.type == FrameType.goaway || $0.type == FrameType.rstStream }
        switch testCase.expect {
        case .goaway(let code):
            #expect(t.goaway == code, "\(t.answers)")
            #expect(t.closed)
        case .rst(let stream, let code):
            #expect(t.rst(stream) == code, "\(t.answers)")
            #expect(t.goaway == nil && !t.closed)
        case .fine:
            #expect(errors.isEmpty, "\(t.answers)")
            #expect(!t.closed)
        }
    }
}
