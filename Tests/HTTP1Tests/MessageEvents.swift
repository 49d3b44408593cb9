// The messages a `MessageReader` (the proxy's own parser driver) reports when fed bytes in
// pieces, copied out of the buffer as `Event`s, so that feeding the same bytes in different
// pieces can be compared exactly. Shared by the split-point tests (Harness.swift) and the
// fuzzer (fuzz/HTTP1Fuzz.swift, which scripts/fuzz.sh compiles with this file and
// Sources/HTTP1 into one module, hence the conditional import).
#if canImport(HTTP1)
import HTTP1
#endif

func slice(_ buf: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8] {
    precondition(range.lowerBound >= 0 && range.upperBound <= buf.count, "range \(range) outside a buffer of \(buf.count)")
    return Array(UnsafeRawBufferPointer(rebasing: buf[range]))
}

/// One header field, copied out of the buffer.
struct Field: Equatable, CustomStringConvertible {
    var name: [UInt8]
    var value: [UInt8]
    var kind: FieldKind

    init(_ name: String, _ value: String, _ kind: FieldKind = .other) {
        self.name = Array(name.utf8)
        self.value = Array(value.utf8)
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

/// What a caller adds to a run: how each read sees the unread bytes (the fuzzer reads from an
/// exact heap copy, so AddressSanitizer sees a read past them) and a check of each head read.
struct RunHooks {
    var read: (inout MessageReader, UnsafeRawBufferPointer, Bool, Limits) -> MessageReader.Step = { reader, input, eof, limits in
        reader.read(input, eof: eof, limits: limits)
    }
    var head: (MessageReader, UnsafeRawBufferPointer, Int, Limits) -> Void = { _, _, _, _ in }
}

/// Feeds `pieces` one after the other to a `MessageReader` (the proxy's own parser driver) and
/// returns what it reported. `isRequest` picks the client side (requests) or the backend side
/// (responses, with bodies framed as RFC 9112 6.3 says for a non-HEAD request). Traps if the
/// reader breaks its contract: a step outside the input, no progress, a head over the limit.
func run(_ pieces: [ArraySlice<UInt8>], isRequest: Bool, limits: Limits = Limits(), initialCapacity: Int = 16,
         hooks: RunHooks = RunHooks()) -> [Event] {
    var inbuf = ByteBuffer(capacity: initialCapacity)
    var reader = MessageReader(isRequest: isRequest)
    var body: [UInt8] = []
    var events: [Event] = []
    var closed = false

    /// Reads until the reader needs more input; returns whether the stream is still open.
    func pump(eof: Bool) -> Bool {
        // Every step consumes at least one byte or ends the loop.
        let budget = inbuf.readableBytes + 3
        var steps = 0
        while true {
            steps += 1
            precondition(steps <= budget, "no progress reading \(reader.readingHead ? "a head" : "a body")")
            let count = inbuf.readableBytes
            let step = hooks.read(&reader, inbuf.readable, eof, limits)
            let buf = inbuf.readable
            switch step {
            case .needMore:
                precondition(!reader.readingHead || count - reader.scanner.headStart <= limits.headerSection,
                             "an incomplete head holds \(count - reader.scanner.headStart) bytes, over the limit")
                return true
            case .headError(let error):
                events.append(.headError(error))
                return false
            case .head(let headEnd):
                hooks.head(reader, buf, headEnd, limits)
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
            case .body(let piece):
                // The contract: consumed never exceeds the input and data lies inside it.
                precondition(piece.consumed >= 0 && piece.consumed <= count, "consumed \(piece.consumed) of \(count)")
                precondition(piece.data.lowerBound >= 0 && piece.data.upperBound <= piece.consumed, "data \(piece.data) outside \(piece.consumed)")
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[piece.data]))
                inbuf.consume(piece.consumed)
                switch piece.status {
                case .end:
                    events.append(.body(body))
                case .invalid:
                    events.append(.bodyError(dataSoFar: body))
                    return false
                case .truncated:
                    events.append(.unfinishedBody(body))
                    return false
                case .more:
                    if piece.consumed == 0 { return true }
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
