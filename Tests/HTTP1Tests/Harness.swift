import Testing
@testable import HTTP1

// Drives the proxy's own parser driver, `MessageReader`: bytes are appended to a ByteBuffer as
// they "arrive", the reader runs after every read, a complete head is consumed and its body read
// (Content-Length, chunked, or until EOF for a response without framing). Everything the reader
// reports is recorded as `Event`s so that feeding the same bytes in different pieces can be
// compared exactly.

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ buf: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
    String(decoding: UnsafeRawBufferPointer(rebasing: buf[range]), as: UTF8.self)
}

func slice(_ buf: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8] {
    Array(UnsafeRawBufferPointer(rebasing: buf[range]))
}

/// One header field, copied out of the buffer.
struct Field: Equatable, CustomStringConvertible {
    var name: [UInt8]
    var value: [UInt8]
    var kind: FieldKind

    init(_ name: String, _ value: String, _ kind: FieldKind = .other) {
        self.name = bytes(name)
        self.value = bytes(value)
        self.kind = kind
    }

    init(name: [UInt8], value: [UInt8], kind: FieldKind) {
        self.name = name
        self.value = value
        self.kind = kind
    }

    var description: String {
        "\(String(decoding: name, as: UTF8.self)): \(String(decoding: value, as: UTF8.self)) [\(kind)]"
    }
}

/// What `MessageHead` says, copied out of the buffer.
struct HeadSummary: Equatable {
    var fields: [Field]
    var contentLength: Int?
    var chunked: Bool
    var connectionClose: Bool
    var connectionKeepAlive: Bool
    var connectionUpgrade: Bool
    var hostIndex: Int?
    var upgradeIndex: Int?
    var expectContinue: Bool

    init(_ head: MessageHead, _ buf: UnsafeRawBufferPointer) {
        fields = head.fields.map { Field(name: slice(buf, $0.name), value: slice(buf, $0.value), kind: $0.kind) }
        contentLength = head.contentLength
        chunked = head.chunked
        connectionClose = head.connectionClose
        connectionKeepAlive = head.connectionKeepAlive
        connectionUpgrade = head.connectionUpgrade
        hostIndex = head.hostIndex
        upgradeIndex = head.upgradeIndex
        expectContinue = head.expectContinue
    }
}

struct RequestSummary: Equatable {
    var method: [UInt8]
    var target: [UInt8]
    var version: RequestHead.Version
    var isHead: Bool
    var keepAlive: Bool
    var wantsUpgrade: Bool
    var headStart: Int
    var headEnd: Int
    var head: HeadSummary

    init(_ r: RequestHead, _ buf: UnsafeRawBufferPointer, headStart: Int) {
        method = slice(buf, r.method)
        target = slice(buf, r.target)
        version = r.version
        isHead = r.isHead
        keepAlive = r.keepAlive
        wantsUpgrade = r.wantsUpgrade
        self.headStart = headStart
        headEnd = r.headEnd
        head = HeadSummary(r.head, buf)
    }

    var methodText: String { String(decoding: method, as: UTF8.self) }
    var targetText: String { String(decoding: target, as: UTF8.self) }
}

struct ResponseSummary: Equatable {
    var status: Int
    var reason: [UInt8]
    var isHTTP11: Bool
    var keepAlive: Bool
    var fieldsStart: Int
    var headStart: Int
    var headEnd: Int
    var head: HeadSummary

    init(_ r: ResponseHead, _ buf: UnsafeRawBufferPointer, headStart: Int) {
        status = r.status
        reason = slice(buf, r.reason)
        isHTTP11 = r.isHTTP11
        keepAlive = r.keepAlive
        fieldsStart = r.fieldsStart
        self.headStart = headStart
        headEnd = r.headEnd
        head = HeadSummary(r.head, buf)
    }

    var reasonText: String { String(decoding: reason, as: UTF8.self) }
}

enum Event: Equatable {
    case request(RequestSummary)
    case response(ResponseSummary)
    /// A complete body (Content-Length reached, last chunk and trailers read, or EOF).
    case body([UInt8])
    /// The scanner or the head parser refused the message; the connection closes.
    case headError(ParseError)
    /// The chunked decoder refused the body; the connection closes.
    case bodyError(dataSoFar: [UInt8])
    /// The input ended in the middle of a head (`buffered` bytes waiting) or a body.
    case unfinishedHead(buffered: Int)
    case unfinishedBody([UInt8])

    var request: RequestSummary? { if case .request(let r) = self { return r } else { return nil } }
    var response: ResponseSummary? { if case .response(let r) = self { return r } else { return nil } }
}

/// Feeds `pieces` one after the other to a `MessageReader` (the proxy's own parser driver) and
/// returns what it reported. `isRequest` picks the client side (requests) or the backend side
/// (responses, with bodies framed as RFC 9112 6.3 says for a non-HEAD request).
func run(_ pieces: [ArraySlice<UInt8>], isRequest: Bool, limits: Limits = Limits(), initialCapacity: Int = 16) -> [Event] {
    var inbuf = ByteBuffer(capacity: initialCapacity)
    var reader = MessageReader(isRequest: isRequest)
    var body: [UInt8] = []
    var events: [Event] = []
    var closed = false

    /// Reads until the reader needs more input; returns whether the stream is still open.
    func pump(eof: Bool) -> Bool {
        while true {
            switch reader.read(inbuf.readable, eof: eof, limits: limits) {
            case .needMore:
                return true
            case .headError(let error):
                events.append(.headError(error))
                return false
            case .head(let headEnd):
                let buf = inbuf.readable
                body = []
                let framing: BodyFraming
                if isRequest {
                    events.append(.request(RequestSummary(reader.request, buf, headStart: reader.headStart)))
                    framing = reader.request.bodyFraming
                } else {
                    events.append(.response(ResponseSummary(reader.response, buf, headStart: reader.headStart)))
                    framing = reader.response.bodyFraming(requestWasHead: false)
                    if framing == .none && reader.response.hasBody(requestWasHead: false) { events.append(.body([])) }
                }
                inbuf.consume(headEnd)
                reader.expectBody(framing)
            case .body(let step):
                let input = inbuf.readable
                // The contract: consumed never exceeds the input and data lies inside it.
                precondition(step.consumed >= 0 && step.consumed <= input.count)
                precondition(step.data.lowerBound >= 0 && step.data.upperBound <= step.consumed)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[step.data]))
                inbuf.consume(step.consumed)
                switch step.status {
                case .end:
                    events.append(.body(body))
                case .invalid:
                    events.append(.bodyError(dataSoFar: body))
                    return false
                case .truncated:
                    events.append(.unfinishedBody(body))
                    return false
                case .more:
                    if step.consumed == 0 { return true }
                }
            }
        }
    }

    for piece in pieces where !closed {
        piece.withUnsafeBytes { inbuf.append($0) }
        closed = !pump(eof: false)
    }
    if !closed && pump(eof: true) && reader.readingHead && inbuf.readableBytes > 0 {
        events.append(.unfinishedHead(buffered: inbuf.readableBytes))
    }
    return events
}

func run(_ input: [UInt8], isRequest: Bool, limits: Limits = Limits()) -> [Event] {
    run([input[...]], isRequest: isRequest, limits: limits)
}

func runSplit(_ input: [UInt8], at cuts: [Int], isRequest: Bool, limits: Limits = Limits()) -> [Event] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    for cut in cuts.sorted() where cut >= start && cut <= input.count {
        pieces.append(input[start..<cut])
        start = cut
    }
    pieces.append(input[start...])
    return run(pieces, isRequest: isRequest, limits: limits)
}

func runByteByByte(_ input: [UInt8], isRequest: Bool, limits: Limits = Limits()) -> [Event] {
    run(input.indices.map { input[$0...$0] }, isRequest: isRequest, limits: limits)
}

/// Checks that splitting `input` at every index, and feeding it byte by byte, gives exactly
/// the one-shot result, and returns the one-shot result for further assertions.
@discardableResult
func expectSplitInvariant(
    _ input: [UInt8], isRequest: Bool, limits: Limits = Limits(), sourceLocation: SourceLocation = #_sourceLocation
) -> [Event] {
    let whole = run(input, isRequest: isRequest, limits: limits)
    var failures = 0
    for i in 0...input.count {
        let split = runSplit(input, at: [i], isRequest: isRequest, limits: limits)
        if split != whole {
            failures += 1
            if failures <= 3 {
                Issue.record("split at \(i) of \(input.count): \(split) != one-shot \(whole)", sourceLocation: sourceLocation)
            }
        }
    }
    #expect(failures == 0, "\(failures) split points differ", sourceLocation: sourceLocation)
    let byteByByte = runByteByByte(input, isRequest: isRequest, limits: limits)
    #expect(byteByByte == whole, "byte-by-byte differs", sourceLocation: sourceLocation)
    return whole
}

/// Runs one request head (scanner + parser) on `input` in one piece; nil when it is accepted.
func requestError(_ input: [UInt8], limits: Limits = Limits()) -> ParseError? {
    let events = run(input, isRequest: true, limits: limits)
    if case .headError(let e) = events.first { return e }
    return nil
}

func requestError(_ input: String, limits: Limits = Limits()) -> ParseError? {
    requestError(bytes(input), limits: limits)
}

func responseError(_ input: String, limits: Limits = Limits()) -> ParseError? {
    let events = run(bytes(input), isRequest: false, limits: limits)
    if case .headError(let e) = events.first { return e }
    return nil
}

/// A small, fast, seeded generator (SplitMix64) so that the fuzz cases are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Short descriptions, so a failing comparison of large messages stays readable.
func abbreviated(_ b: [UInt8], limit: Int = 48) -> String {
    let s = String(decoding: b.prefix(limit), as: UTF8.self).debugDescription
    return b.count > limit ? "\(s)…(\(b.count) bytes)" : s
}

extension RequestSummary: CustomStringConvertible {
    var description: String {
        "request(\(abbreviated(method)) \(abbreviated(target)) \(version) headStart \(headStart) headEnd \(headEnd) "
            + "keepAlive \(keepAlive) upgrade \(wantsUpgrade) \(head))"
    }
}

extension ResponseSummary: CustomStringConvertible {
    var description: String {
        "response(\(status) \(abbreviated(reason)) 1.1 \(isHTTP11) headEnd \(headEnd) keepAlive \(keepAlive) \(head))"
    }
}

extension HeadSummary: CustomStringConvertible {
    var description: String {
        let f = fields.prefix(12).map { "\(abbreviated($0.name, limit: 24)): \(abbreviated($0.value, limit: 24)) [\($0.kind)]" }
        return "fields(\(fields.count)) \(f.joined(separator: ", ")) CL \(contentLength.map(String.init) ?? "-") chunked \(chunked) "
            + "close \(connectionClose) ka \(connectionKeepAlive) upg \(connectionUpgrade) host \(hostIndex.map(String.init) ?? "-") "
            + "upgradeIndex \(upgradeIndex.map(String.init) ?? "-") expect \(expectContinue)"
    }
}

extension Event: CustomStringConvertible {
    var description: String {
        switch self {
        case .request(let r): return r.description
        case .response(let r): return r.description
        case .body(let b): return "body(\(abbreviated(b)))"
        case .headError(let e): return "headError(\(e))"
        case .bodyError(let b): return "bodyError(after \(abbreviated(b)))"
        case .unfinishedHead(let n): return "unfinishedHead(\(n) bytes)"
        case .unfinishedBody(let b): return "unfinishedBody(\(abbreviated(b)))"
        }
    }
}
