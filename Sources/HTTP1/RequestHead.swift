/// A parsed request head: the request line as byte ranges plus the fields.
public struct RequestHead: Sendable {
    public enum Version: UInt8, Sendable { case http10, http11 }

    public var method: Range<Int> = 0..<0
    /// The request method is HEAD (its response has no body).
    public var isHead = false
    /// The request target in origin form (`/path?query`), or `*`. For an absolute-form target
    /// (`http://host/path?query`, RFC 9112 3.2.2) the origin-form part of it; its authority
    /// then equals the Host field.
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
    /// Runs once per request. Accepts origin-form targets (and `*` for OPTIONS) and
    /// absolute-form ones with an `http`/`https` scheme, a path and the Host's authority;
    /// versions 1.0 and 1.1; and requires exactly one Host on HTTP/1.1. Refuses a fragment
    /// (`#`), a backslash or a dot-segment (`.`, `..`, also as `%2e`) in the path — a byte-prefix
    /// route match must see the path the backend will resolve — and the methods CONNECT and
    /// TRACE (405: Sluice is no forward proxy, and TRACE would reflect credentials) and methods it
    /// does not know (501, `RequestMethod`). Returns nil on success.
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
        var authority: Range<Int>? = nil
        let first = buf[targetStart]
        if first != UInt8(ascii: "/") {
            if let (host, path) = Self.splitAbsoluteForm(buf, target) {
                authority = host
                target = path
            } else if !buf.equals(method, "CONNECT") {
                // (CONNECT's authority-form target goes on to its 405 below.)
                guard target.count == 1, first == UInt8(ascii: "*"), buf.equals(method, "OPTIONS") else {
                    return .badRequest(.badTarget)
                }
            }
        }
        if let error = Self.checkPath(buf, target) { return error }
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
        if let authority {
            // RFC 9112 3.2.2 makes the authority the host; Sluice routes and forwards by Host, so
            // the two must agree (a client sends both; a disagreement is a smuggling shape).
            guard let h = head.hostIndex, Self.sameIgnoringCase(buf, head.fields[h].value, authority) else {
                return .badRequest(.hostMismatch)
            }
        }
        if !RequestMethod.isKnown(buf, method) { return .methodNotImplemented }
        if buf.equals(method, "CONNECT") || buf.equals(method, "TRACE") { return .methodNotAllowed }
        // A 1.0 message with Transfer-Encoding is faulty framing (RFC 9112 6.1).
        if version == .http10 && head.chunked { return .badRequest(.unsupportedTransferEncoding) }
        return nil
    }

    /// For `http://authority/path?query` or `https://…` (scheme in any case): the authority and
    /// the `/path?query` part; nil for any other target, or one without authority or path.
    static func splitAbsoluteForm(_ buf: UnsafeRawBufferPointer, _ target: Range<Int>) -> (Range<Int>, Range<Int>)? {
        var i = target.lowerBound
        for c in "http".utf8 {
            guard i < target.upperBound, ByteClass.lower(buf[i]) == c else { return nil }
            i += 1
        }
        if i < target.upperBound && ByteClass.lower(buf[i]) == UInt8(ascii: "s") { i += 1 }
        for c in "://".utf8 {
            guard i < target.upperBound, buf[i] == c else { return nil }
            i += 1
        }
        let hostStart = i
        while i < target.upperBound && buf[i] != UInt8(ascii: "/") && buf[i] != UInt8(ascii: "?") {
            guard buf[i] != UInt8(ascii: "@") else { return nil } // no userinfo
            i += 1
        }
        guard i > hostStart, i < target.upperBound, buf[i] == UInt8(ascii: "/") else { return nil }
        return (hostStart..<i, i..<target.upperBound)
    }

    /// Refuses a fragment anywhere in the target, and a backslash or a dot-segment (`.` or `..`,
    /// any dot also written `%2e`/`%2E`, or followed by `;` as in `..;/`) in the path before `?`.
    static func checkPath(_ buf: UnsafeRawBufferPointer, _ target: Range<Int>) -> ParseError? {
        var segmentStart = target.lowerBound
        var dots = 0, other = false, inPath = true
        var i = target.lowerBound
        while i < target.upperBound {
            let b = buf[i]
            if b == UInt8(ascii: "#") { return .badRequest(.badTarget) }
            if inPath {
                if b == UInt8(ascii: "\\") { return .badRequest(.dotSegment) }
                if b == UInt8(ascii: "/") || b == UInt8(ascii: "?") {
                    if i > segmentStart && !other && (dots == 1 || dots == 2) { return .badRequest(.dotSegment) }
                    dots = 0
                    other = false
                    segmentStart = i + 1
                    inPath = b == UInt8(ascii: "/")
                } else if b == UInt8(ascii: ".") {
                    dots += 1
                } else if b == UInt8(ascii: ";") && !other && (dots == 1 || dots == 2) {
                    return .badRequest(.dotSegment) // "..;/": a dot-segment to servlet containers
                } else if b == UInt8(ascii: "%"), i + 2 < target.upperBound, buf[i + 1] == UInt8(ascii: "2"),
                          ByteClass.lower(buf[i + 2]) == UInt8(ascii: "e") {
                    dots += 1
                    i += 2
                } else {
                    other = true
                }
            }
            i += 1
        }
        if inPath && !other && (dots == 1 || dots == 2) && target.upperBound > segmentStart { return .badRequest(.dotSegment) }
        return nil
    }

    /// Whether the bytes of `a` and `b` are equal ignoring ASCII case.
    static func sameIgnoringCase(_ buf: UnsafeRawBufferPointer, _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<a.count where ByteClass.lower(buf[a.lowerBound + k]) != ByteClass.lower(buf[b.lowerBound + k]) {
            return false
        }
        return true
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
