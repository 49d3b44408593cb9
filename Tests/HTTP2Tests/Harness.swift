import Testing
@testable import HTTP2

/// Bytes from hex text; spaces ignored.
func hex(_ s: String) -> [UInt8] {
    let digits = Array(s.utf8.filter { $0 != 0x20 && $0 != 0x0A })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// A client writing raw frames, for feeding the connection. Header blocks are encoded with a
/// real HPACK encoder unless given as raw bytes.
struct Client {
    var bytes: [UInt8] = Array(FrameLimits.clientPreface.description.utf8)
    var encoder = HPACKEncoder()

    /// The preface and an empty SETTINGS: what every test starts with.
    static func started() -> Client {
        var c = Client()
        c.settings([])
        return c
    }

    mutating func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = []) {
        FrameWriter.header(&bytes, length: payload.count, type: type, flags: flags, stream: stream)
        bytes += payload
    }

    mutating func settings(_ s: [Setting]) { FrameWriter.settings(&bytes, s) }

    /// An encoded block of `fields`.
    mutating func block(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        encoder.beginBlock(into: &out)
        for (n, v) in fields { encoder.encode(name: Array(n.utf8), value: Array(v.utf8), into: &out) }
        return out
    }

    mutating func headers(_ stream: UInt32, _ fields: [(String, String)], endStream: Bool = true, endHeaders: Bool = true) {
        let b = block(fields)
        rawHeaders(stream, b, endStream: endStream, endHeaders: endHeaders)
    }

    mutating func rawHeaders(_ stream: UInt32, _ block: [UInt8], endStream: Bool = true, endHeaders: Bool = true, extraFlags: UInt8 = 0, prefix: [UInt8] = []) {
        var flags = extraFlags
        if endStream { flags |= FrameFlags.endStream }
        if endHeaders { flags |= FrameFlags.endHeaders }
        frame(type: FrameType.headers, flags: flags, stream: stream, prefix + block)
    }

    mutating func continuation(_ stream: UInt32, _ block: [UInt8], endHeaders: Bool = true) {
        frame(type: FrameType.continuation, flags: endHeaders ? FrameFlags.endHeaders : 0, stream: stream, block)
    }

    mutating func data(_ stream: UInt32, _ payload: [UInt8], endStream: Bool = false) {
        frame(type: FrameType.data, flags: endStream ? FrameFlags.endStream : 0, stream: stream, payload)
    }

    mutating func rst(_ stream: UInt32, _ code: HTTP2ErrorCode = .cancel) {
        FrameWriter.rstStream(&bytes, stream: stream, code: code)
    }

    mutating func windowUpdate(_ stream: UInt32, _ increment: UInt32) {
        frame(type: FrameType.windowUpdate, stream: stream, be32(increment))
    }

    mutating func ping(_ opaque: UInt64 = 0x0102030405060708, ack: Bool = false) {
        FrameWriter.ping(&bytes, opaque: opaque, ack: ack)
    }

    mutating func priority(_ stream: UInt32, dependsOn: UInt32) {
        frame(type: FrameType.priority, stream: stream, be32(dependsOn) + [15])
    }
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

let get: [(String, String)] = [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "example.com")]
func post(length: Int? = nil) -> [(String, String)] {
    [(":method", "POST"), (":scheme", "https"), (":path", "/upload"), (":authority", "example.com")]
        + (length.map { [("content-length", String($0))] } ?? [])
}

/// A frame the connection wrote, with its payload copied.
struct Written: Equatable, CustomStringConvertible {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]

    var code: HTTP2ErrorCode? {
        switch type {
        case FrameType.rstStream: HTTP2ErrorCode(rawValue: FrameParser.readUInt32Array(payload, 0))
        case FrameType.goaway: HTTP2ErrorCode(rawValue: FrameParser.readUInt32Array(payload, 4))
        default: nil
        }
    }

    var description: String { "frame(type \(type) flags \(flags) stream \(stream) \(payload.count) bytes\(code.map { " \($0)" } ?? ""))" }
}

extension FrameParser {
    static func readUInt32Array(_ a: [UInt8], _ at: Int) -> UInt32 { a.withUnsafeBytes { readUInt32($0, at) } }
}

/// Cuts written bytes into frames.
func frames(_ bytes: [UInt8]) -> [Written] {
    var result: [Written] = []
    var at = 0
    while bytes.count - at >= 9 {
        let length = Int(bytes[at]) << 16 | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2])
        result.append(Written(type: bytes[at + 3], flags: bytes[at + 4], stream: FrameParser.readUInt32Array(bytes, at + 5) & 0x7FFF_FFFF,
                              payload: Array(bytes[at + 9..<at + 9 + length])))
        at += 9 + length
    }
    precondition(at == bytes.count, "written bytes end inside a frame")
    return result
}

/// Everything a connection did with one input.
struct Transcript: Equatable {
    var events: [String] = []
    var written: [Written] = []
    var closed = false

    /// The frames written after the server preface (SETTINGS, WINDOW_UPDATE).
    var answers: [Written] { Array(written.drop { $0.type == FrameType.settings && $0.flags == 0 || $0.type == FrameType.windowUpdate && $0.stream == 0 }) }
    var goaway: HTTP2ErrorCode? { written.last { $0.type == FrameType.goaway }?.code }
    func rst(_ stream: UInt32) -> HTTP2ErrorCode? { written.last { $0.type == FrameType.rstStream && $0.stream == stream }?.code }
}

func describe(_ e: HTTP2Connection.Event, _ buf: [UInt8]) -> String {
    switch e {
    case .request(let s, let r, let end):
        "request \(s) \(r.list.pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " "))\(end ? " END" : "")"
    case .requestHeadersTooLarge(let s, let end):
        "too-large \(s)\(end ? " END" : "")"
    case .data(let s, let range, let end):
        "data \(s) \(String(decoding: buf[range], as: UTF8.self))\(end ? " END" : "")"
    case .trailers(let s, let list):
        "trailers \(s) \(list.pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " "))"
    case .reset(let s, let code):
        "reset \(s) \(code)"
    case .sendWindowOpened(let s):
        "window \(s)"
    case .peerGoingAway(let last, let code):
        "goaway \(last) \(code)"
    }
}

/// Feeds `input` to a new connection in pieces cut at `cuts`, the way the I/O shell would:
/// unconsumed bytes kept and passed again with the next read. With `consume`, every body byte
/// is reported consumed right after its event.
func run(_ input: [UInt8], cuts: [Int] = [], configuration: HTTP2Configuration = HTTP2Configuration(), nowMs: Int = 0, consume: Bool = false) -> (Transcript, HTTP2Connection) {
    var connection = HTTP2Connection(configuration: configuration)
    var t = Transcript()
    var pending: [UInt8] = []
    var start = 0
    for end in cuts + [input.count] where !t.closed {
        pending += input[start..<end]
        start = end
        let out = pending.withUnsafeBytes { connection.receive($0, nowMs: nowMs) }
        for e in out.events {
            t.events.append(describe(e, pending))
            if consume, case .data(let s, let range, _) = e { _ = connection.dataConsumed(s, count: range.count) }
        }
        pending.removeFirst(out.consumed)
        t.closed = out.close
    }
    t.written = frames(connection.takeOutbound())
    return (t, connection)
}

/// Runs `input` whole, split in two at every index, and byte by byte (up to 2 KiB); every run
/// must give the same transcript. Returns it.
@discardableResult
func expectSplitInvariant(_ input: [UInt8], configuration: HTTP2Configuration = HTTP2Configuration(), sourceLocation: SourceLocation = #_sourceLocation) -> Transcript {
    let (whole, _) = run(input, configuration: configuration)
    for cut in 0...input.count {
        let (split, _) = run(input, cuts: [cut], configuration: configuration)
        #expect(split == whole, "split at \(cut)", sourceLocation: sourceLocation)
        if split != whole { break }
    }
    if input.count <= 2048 {
        let (bytes, _) = run(input, cuts: Array(1..<max(1, input.count)), configuration: configuration)
        #expect(bytes == whole, "byte by byte", sourceLocation: sourceLocation)
    }
    return whole
}


// Typed-throws closures handed to withUnsafeBytes crash the 6.3 compiler (IRGen), so the
// tests reach the throwing decoders through these non-throwing wrappers.

func hpackDecode(_ decoder: inout HPACKDecoder, _ bytes: [UInt8], into list: inout HeaderList) -> HPACKError? {
    bytes.withUnsafeBytes { b in
        do throws(HPACKError) { try decoder.decode(b, into: &list); return nil } catch { return error }
    }
}

func huffmanDecode(_ bytes: [UInt8]) -> Result<[UInt8], HPACKError> {
    bytes.withUnsafeBytes { b in
        var out: [UInt8] = []
        do throws(HPACKError) { try Huffman.decode(b) { out.append($0) }; return .success(out) } catch { return .failure(error) }
    }
}

/// The decoded integer and the bytes it took.
func integerDecode(_ bytes: [UInt8], prefixBits: Int) -> Result<[Int], HPACKError> {
    bytes.withUnsafeBytes { b in
        var at = 0
        do throws(HPACKError) {
            let v = try HPACKInteger.decode(b, at: &at, prefixBits: prefixBits)
            return .success([v, at])
        } catch { return .failure(error) }
    }
}
