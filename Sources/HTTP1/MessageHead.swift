/// What the header fields of a request or response say about framing and the connection.
///
/// Filled by `parseFields` from one head; the fields themselves stay byte ranges into the
/// buffer. Reused per connection: `reset` keeps the array capacity, so parsing does not
/// allocate once the connection has seen its first message.
public struct MessageHead: Sendable {
    public var fields: [HeaderField] = []
    /// Decimal value of Content-Length, nil when absent.
    public var contentLength: Int? = nil
    /// Transfer-Encoding is exactly `chunked`.
    public var chunked = false
    public var connectionClose = false
    public var connectionKeepAlive = false
    public var connectionUpgrade = false
    /// Index in `fields` of the Host field.
    public var hostIndex: Int? = nil
    /// Index in `fields` of the Upgrade field.
    public var upgradeIndex: Int? = nil
    public var expectContinue = false

    public init() {}

    /// Clears the previous head's fields, keeping their storage; the first head reserves
    /// room for 32 fields at once instead of growing by doubling.
    public mutating func reset() {
        fields.removeAll(keepingCapacity: true)
        fields.reserveCapacity(32)
        contentLength = nil
        chunked = false
        connectionClose = false
        connectionKeepAlive = false
        connectionUpgrade = false
        hostIndex = nil
        upgradeIndex = nil
        expectContinue = false
    }

    /// Parses the header lines in `buf[start..<end]` (each ending in CRLF, as the scanner
    /// guaranteed; `end` is just before the final empty line) and records their meaning.
    /// Enforces RFC 9112: token names with no whitespace before the colon, no obs-fold,
    /// no control bytes in values, a single consistent Content-Length, Transfer-Encoding
    /// only as a lone `chunked` and never together with Content-Length, at most one Host.
    mutating func parseFields(_ buf: UnsafeRawBufferPointer, from start: Int, to end: Int, limits: Limits) -> ParseError? {
        var i = start
        var sawTransferEncoding = false
        let token = ByteClass.token
        let valueBytes = ByteClass.fieldValue
        while i < end {
            let first = buf[i]
            if first == 0x20 || first == 0x09 { return .badRequest(.obsFold) }
            let nameStart = i
            while i < end && token[Int(buf[i])] { i += 1 }
            let nameEnd = i
            guard i < end, buf[i] == UInt8(ascii: ":") else {
                if i < end && (buf[i] == 0x20 || buf[i] == 0x09) { return .badRequest(.spaceBeforeColon) }
                return .badRequest(.badHeaderName)
            }
            guard nameEnd > nameStart else { return .badRequest(.badHeaderName) }
            i += 1
            let valueStart = i
            while buf[i] != 0x0D {
                guard valueBytes[Int(buf[i])] else { return .badRequest(.badHeaderValue) }
                i += 1
            }
            let value = buf.trimmingOWS(valueStart..<i)
            i += 2 // CRLF
            guard fields.count < limits.headerCount else { return .headersTooLarge }
            let name = nameStart..<nameEnd
            let kind = FieldKind.classify(buf, name)
            switch kind {
            case .host:
                guard hostIndex == nil else { return .badRequest(.duplicateHost) }
                hostIndex = fields.count
            case .contentLength:
                guard let n = parseContentLength(buf, value) else { return .badRequest(.badContentLength) }
                if let previous = contentLength, previous != n { return .badRequest(.conflictingContentLength) }
                contentLength = n
            case .transferEncoding:
                // Only a single, final `chunked` is accepted; anything else (gzip, chunked twice,
                // an empty value) is refused rather than guessed at.
                guard !sawTransferEncoding, buf.equalsIgnoringCase(value, "chunked") else {
                    return .badRequest(.unsupportedTransferEncoding)
                }
                sawTransferEncoding = true
                chunked = true
            case .connection:
                noteConnectionTokens(buf, value)
            case .upgrade:
                upgradeIndex = fields.count
            case .expect:
                if buf.equalsIgnoringCase(value, "100-continue") { expectContinue = true }
            default:
                break
            }
            fields.append(HeaderField(name: name, value: value, kind: kind))
        }
        if sawTransferEncoding && contentLength != nil { return .badRequest(.contentLengthAndTransferEncoding) }
        markConnectionNominated(buf)
        return nil
    }

    /// Content-Length is 1*DIGIT; a list of identical values ("5, 5") is accepted as one.
    private func parseContentLength(_ buf: UnsafeRawBufferPointer, _ value: Range<Int>) -> Int? {
        var result: Int? = nil
        var current = 0
        var digits = 0
        var i = value.lowerBound
        while true {
            if i == value.upperBound || buf[i] == UInt8(ascii: ",") {
                guard digits > 0 else { return nil }
                if let r = result, r != current { return nil }
                result = current
                if i == value.upperBound { return result }
                i += 1
                while i < value.upperBound && (buf[i] == 0x20 || buf[i] == 0x09) { i += 1 }
                current = 0
                digits = 0
                continue
            }
            let b = buf[i]
            guard b >= 0x30 && b <= 0x39, digits < 18 else { return nil }
            current = current * 10 + Int(b - 0x30)
            digits += 1
            i += 1
        }
    }

    private mutating func noteConnectionTokens(_ buf: UnsafeRawBufferPointer, _ value: Range<Int>) {
        forEachToken(buf, value) { t in
            if buf.equalsIgnoringCase(t, "close") { connectionClose = true }
            else if buf.equalsIgnoringCase(t, "keep-alive") { connectionKeepAlive = true }
            else if buf.equalsIgnoringCase(t, "upgrade") { connectionUpgrade = true }
        }
    }

    /// Fields named in a Connection header are hop-by-hop too (RFC 9110 7.6.1).
    private mutating func markConnectionNominated(_ buf: UnsafeRawBufferPointer) {
        for c in fields.indices where fields[c].kind == .connection {
            forEachToken(buf, fields[c].value) { t in
                for f in fields.indices where fields[f].kind == .other && buf.equalsIgnoringCase(fields[f].name, t) {
                    fields[f].kind = .hopByHop
                }
            }
        }
    }

    /// Calls `body` with each comma-separated, whitespace-trimmed, non-empty element.
    @inline(__always)
    private func forEachToken(_ buf: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = value.lowerBound
        var i = start
        while i <= value.upperBound {
            if i == value.upperBound || buf[i] == UInt8(ascii: ",") {
                let t = buf.trimmingOWS(start..<i)
                if !t.isEmpty { body(t) }
                start = i + 1
            }
            i += 1
        }
    }
}
