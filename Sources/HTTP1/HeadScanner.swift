/// Finds the end of a message head (the empty line) in bytes that arrive in pieces.
///
/// Runs on every read until the head is complete; it remembers where it stopped, so
/// each byte is looked at once however the message is split. It enforces the line
/// discipline (every line ends in CRLF: a bare CR or bare LF is an error) and the size
/// limits at each byte, complete head or not, so a client cannot make Sluice buffer more
/// than `Limits.headerSection` bytes and the outcome never depends on how reads split it.
public struct HeadScanner: Sendable {
    public enum Result: Equatable, Sendable {
        /// More bytes are needed.
        case incomplete
        /// The head ends at this offset (just after the final CRLF CRLF).
        case complete(headEnd: Int)
        case error(ParseError)
    }

    private var position = 0
    private var lineStart = 0
    private var firstLineSeen = false
    /// Offset where the first line starts (after any leading empty lines, RFC 9112 2.2).
    public private(set) var headStart = 0
    private let isRequest: Bool

    public init(isRequest: Bool) { self.isRequest = isRequest }

    /// Forgets all progress; call before scanning the next message in a fresh buffer.
    public mutating func reset() { self = HeadScanner(isRequest: isRequest) }

    /// Scans `buf` (which holds the same bytes as before plus more at the end) from where
    /// the previous call stopped.
    public mutating func scan(_ buf: UnsafeRawBufferPointer, limits: Limits) -> Result {
        let count = buf.count
        var i = position
        while i < count {
            // The limits hold at each byte rather than at the end of a read, so that the
            // outcome does not depend on how the bytes were split into reads: a complete head
            // over the limit is refused too, and the CR of a request line exactly at the limit
            // (waiting for its LF) does not count as part of the line. Between line ends the
            // bytes are only skipped, up to the nearer limit.
            let headLimit = headStart + limits.headerSection
            let lineLimit = isRequest && !firstLineSeen ? lineStart + limits.requestLine : Int.max
            let end = min(count, headLimit, lineLimit)
            while i < end {
                let b = buf[i]
                if b == 0x0D || b == 0x0A { break }
                i += 1
            }
            guard i < count else { break }
            if i >= headLimit { return .error(.headersTooLarge) }
            let b = buf[i]
            if b == 0x0D {
                guard i + 1 < count else { break }
                guard buf[i + 1] == 0x0A else { return .error(.badRequest(.bareCR)) }
                let lineLength = i - lineStart
                i += 2
                if i - headStart > limits.headerSection { return .error(.headersTooLarge) }
                if lineLength == 0 {
                    if firstLineSeen {
                        position = i
                        return .complete(headEnd: i)
                    }
                    // Leading empty lines before the request line are ignored (a few at most).
                    guard i <= 8 else { return .error(.badRequest(.badRequestLine)) }
                    headStart = i
                } else if !firstLineSeen {
                    firstLineSeen = true
                    if isRequest && lineLength > limits.requestLine { return .error(.uriTooLong) }
                }
                lineStart = i
            } else if b == 0x0A {
                return .error(.badRequest(.bareLF))
            } else {
                // A byte of the request line at its limit.
                return .error(.uriTooLong)
            }
        }
        position = i
        return .incomplete
    }
}
