/// A parsed request head: the request line as byte ranges plus the fields.
public struct RequestHead: Sendable {
    public enum Version: UInt8, Sendable { case http10, http11 }

    public var method: Range<Int> = 0..<0
    /// The request method is HEAD (its response has no body).
    public var isHead = false
    /// The request target in origin form (`/path?query`), or `*`.
    public var target: Range<Int> = 0..<0
    public var version: Version = .http11
    public var head = MessageHead()
    /// Offset just past the empty line that ends the head.
    public var headEnd = 0

    public init() {}

    /// Whether the client wants the connection kept open after this exchange.
    public var keepAlive: Bool {
        switch version {
        case .http11: return !head.connectionClose
        case .http10: return head.connectionKeepAlive && !head.connectionClose
        }
    }

    /// The request asks to switch protocols (`Connection: upgrade` with an `Upgrade` field) on
    /// HTTP/1.1; an HTTP/1.0 request's `Upgrade` is ignored (RFC 9110 7.8).
    public var wantsUpgrade: Bool { version == .http11 && head.connectionUpgrade && head.upgradeIndex != nil }

    /// Parses the complete head in `buf[start..<headEnd]` (as found by `HeadScanner`).
    ///
    /// Runs once per request. Accepts origin-form targets (and `*` for OPTIONS), versions
    /// 1.0 and 1.1, and requires exactly one Host on HTTP/1.1. Returns nil on success.
    public mutating func parse(_ buf: UnsafeRawBufferPointer, start: Int, headEnd: Int, limits: Limits) -> ParseError? {
        head.reset()
        self.headEnd = headEnd
        let token = ByteClass.token
        // method SP request-target SP HTTP-version CRLF
        var i = start
        while token[Int(buf[i])] { i += 1 }
        guard i > start, buf[i] == 0x20 else { return .badRequest(.badMethod) }
        method = start..<i
        isHead = buf.equals(method, "HEAD")
        i += 1
        let targetStart = i
        let targetClass = ByteClass.target
        while targetClass[Int(buf[i])] { i += 1 }
        guard i > targetStart, buf[i] == 0x20 else { return .badRequest(.badTarget) }
        target = targetStart..<i
        let first = buf[targetStart]
        if first != UInt8(ascii: "/") {
            guard target.count == 1, first == UInt8(ascii: "*"), buf.equals(method, "OPTIONS") else {
                return .badRequest(.badTarget)
            }
        }
        i += 1
        guard i + 10 <= headEnd,
              buf[i] == UInt8(ascii: "H"), buf[i + 1] == UInt8(ascii: "T"), buf[i + 2] == UInt8(ascii: "T"),
              buf[i + 3] == UInt8(ascii: "P"), buf[i + 4] == UInt8(ascii: "/"), buf[i + 5] == UInt8(ascii: "1"),
              buf[i + 6] == UInt8(ascii: "."), buf[i + 8] == 0x0D
        else { return .badRequest(.badRequestLine) }
        switch buf[i + 7] {
        case UInt8(ascii: "1"): version = .http11
        case UInt8(ascii: "0"): version = .http10
        default: return .badRequest(.badVersion)
        }
        if i + 8 - start > limits.requestLine { return .uriTooLong }
        if let error = head.parseFields(buf, from: i + 10, to: headEnd - 2, limits: limits) { return error }
        if version == .http11 && head.hostIndex == nil { return .badRequest(.missingHost) }
        if let h = head.hostIndex, !Self.isValidHost(buf, head.fields[h].value) { return .badRequest(.badHost) }
        // A 1.0 message with Transfer-Encoding is faulty framing (RFC 9112 6.1).
        if version == .http10 && head.chunked { return .badRequest(.unsupportedTransferEncoding) }
        return nil
    }

    /// Host is `uri-host [ ":" port ]`: reg-name, IPv4 or bracketed IPv6 characters only.
    static func isValidHost(_ buf: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        for i in value {
            switch buf[i] {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                continue
            case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"),
                 UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"), UInt8(ascii: "!"), UInt8(ascii: "$"),
                 UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"),
                 UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
                continue
            default:
                return false
            }
        }
        return true
    }
}
