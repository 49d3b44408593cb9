/// A parsed response head from a backend.
public struct ResponseHead: Sendable {
    public var status = 0
    /// Offset just past the status line's CRLF, where the fields start.
    public var fieldsStart = 0
    /// The reason phrase (may be empty).
    public var reason: Range<Int> = 0..<0
    public var isHTTP11 = true
    public var head = MessageHead()
    public var headEnd = 0

    public init() {}

    /// Whether the backend allows reusing the connection after this response.
    public var keepAlive: Bool {
        isHTTP11 ? !head.connectionClose : (head.connectionKeepAlive && !head.connectionClose)
    }

    /// Parses a complete response head in `buf[0..<headEnd]`. Returns nil on success.
    public mutating func parse(_ buf: UnsafeRawBufferPointer, start: Int, headEnd: Int, limits: Limits) -> ParseError? {
        head.reset()
        self.headEnd = headEnd
        // HTTP-version SP 3DIGIT SP [reason] CRLF
        let i = start
        guard headEnd - i >= 14,
              buf[i] == UInt8(ascii: "H"), buf[i + 1] == UInt8(ascii: "T"), buf[i + 2] == UInt8(ascii: "T"),
              buf[i + 3] == UInt8(ascii: "P"), buf[i + 4] == UInt8(ascii: "/"), buf[i + 5] == UInt8(ascii: "1"),
              buf[i + 6] == UInt8(ascii: "."), buf[i + 8] == 0x20
        else { return .badRequest(.badStatusLine) }
        switch buf[i + 7] {
        case UInt8(ascii: "1"): isHTTP11 = true
        case UInt8(ascii: "0"): isHTTP11 = false
        default: return .badRequest(.badStatusLine)
        }
        var code = 0
        for k in 9..<12 {
            let d = buf[i + k]
            guard d >= 0x30 && d <= 0x39 else { return .badRequest(.badStatusLine) }
            code = code * 10 + Int(d - 0x30)
        }
        // RFC 9110 15: a status outside 100-599 is not one a client can be given.
        guard code >= 100 && code <= 599 else { return .badRequest(.badStatusLine) }
        status = code
        var j = i + 12
        if buf[j] == 0x20 {
            j += 1
        } else if buf[j] != 0x0D {
            return .badRequest(.badStatusLine)
        }
        let reasonStart = j
        let valueBytes = ByteClass.fieldValue
        while buf[j] != 0x0D {
            guard valueBytes[Int(buf[j])] else { return .badRequest(.badStatusLine) }
            j += 1
        }
        reason = reasonStart..<j
        fieldsStart = j + 2
        if let error = head.parseFields(buf, from: fieldsStart, to: headEnd - 2, limits: limits) { return error }
        // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        if !isHTTP11 && head.chunked { return .badRequest(.unsupportedTransferEncoding) }
        return nil
    }

    /// Whether the response carries a body at all (RFC 9112 6.3): never for 1xx, 204, 304
    /// or a response to HEAD.
    public func hasBody(requestWasHead: Bool) -> Bool {
        !(requestWasHead || status < 200 || status == 204 || status == 304)
    }
}
