import Testing
@testable import HTTP1

// A model of how the proxy drives the pure parser: bytes are appended to a ByteBuffer as they
// "arrive", the scanner runs after every read, a complete head is parsed, the head is consumed
// and the body is read (Content-Length, chunked through ChunkedDecoder, or until EOF for a
// response without framing). Everything the parser reports is recorded as `Event`s so that
// feeding the same bytes in different pieces can be compared exactly.

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

private enum Phase: Equatable {
    case head
    case length(Int)
    case chunked
    case untilEOF
    case closed
}

/// Feeds `pieces` one after the other into a fresh connection model and returns what the
/// parser reported. `isRequest` picks the client side (RequestHead) or the backend side
/// (ResponseHead, with bodies framed as RFC 9112 6.3 says for a non-HEAD request).
func run(_ pieces: [ArraySlice<UInt8>], isRequest: Bool, limits: Limits = Limits(), initialCapacity: Int = 16) -> [Event] {
    var inbuf = ByteBuffer(capacity: initialCapacity)
    var scanner = HeadScanner(isRequest: isRequest)
    var request = RequestHead()
    var response = ResponseHead()
    var decoder = ChunkedDecoder()
    var phase = Phase.head
    var body: [UInt8] = []
    var events: [Event] = []

    for piece in pieces {
        if phase == .closed { break }
        piece.withUnsafeBytes { inbuf.append($0) }
        pumping: while true {
            switch phase {
            case .closed:
                break pumping
            case .head:
                guard inbuf.readableBytes > 0 else { break pumping }
                let result = scanner.scan(inbuf.readable, limits: limits)
                switch result {
                case .incomplete:
                    break pumping
                case .error(let error):
                    events.append(.headError(error))
                    phase = .closed
                case .complete(let headEnd):
                    let buf = inbuf.readable
                    body = []
                    decoder = ChunkedDecoder()
                    if isRequest {
                        if let error = request.parse(buf, start: scanner.headStart, headEnd: headEnd, limits: limits) {
                            events.append(.headError(error))
                            phase = .closed
                            continue pumping
                        }
                        events.append(.request(RequestSummary(request, buf, headStart: scanner.headStart)))
                        if request.head.chunked {
                            phase = .chunked
                        } else if let n = request.head.contentLength, n > 0 {
                            phase = .length(n)
                        } else {
                            phase = .head
                        }
                    } else {
                        if let error = response.parse(buf, start: scanner.headStart, headEnd: headEnd, limits: limits) {
                            events.append(.headError(error))
                            phase = .closed
                            continue pumping
                        }
                        events.append(.response(ResponseSummary(response, buf, headStart: scanner.headStart)))
                        if !response.hasBody(requestWasHead: false) {
                            phase = .head
                        } else if response.head.chunked {
                            phase = .chunked
                        } else if let n = response.head.contentLength {
                            if n > 0 { phase = .length(n) } else { events.append(.body([])); phase = .head }
                        } else {
                            phase = .untilEOF
                        }
                    }
                    inbuf.consume(headEnd)
                    scanner.reset()
                }
            case .length(let remaining):
                let n = min(remaining, inbuf.readableBytes)
                guard n > 0 else { break pumping }
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: inbuf.readable.prefix(n)))
                inbuf.consume(n)
                if n == remaining {
                    events.append(.body(body))
                    phase = .head
                } else {
                    phase = .length(remaining - n)
                }
            case .chunked:
                guard inbuf.readableBytes > 0 else { break pumping }
                let input = inbuf.readable
                let out = decoder.decode(input)
                // The contract: consumed never exceeds the input and data lies inside it.
                precondition(out.consumed >= 0 && out.consumed <= input.count)
                precondition(out.data.lowerBound >= 0 && out.data.upperBound <= out.consumed)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[out.data]))
                inbuf.consume(out.consumed)
                switch out.status {
                case .end:
                    events.append(.body(body))
                    phase = .head
                case .error:
                    events.append(.bodyError(dataSoFar: body))
                    phase = .closed
                case .needMore:
                    if out.consumed == 0 { break pumping }
                }
            case .untilEOF:
                body.append(contentsOf: inbuf.readable)
                inbuf.consume(inbuf.readableBytes)
                break pumping
            }
        }
    }
    switch phase {
    case .head:
        if inbuf.readableBytes > 0 { events.append(.unfinishedHead(buffered: inbuf.readableBytes)) }
    case .length, .chunked:
        events.append(.unfinishedBody(body))
    case .untilEOF:
        events.append(.body(body))
    case .closed:
        break
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
