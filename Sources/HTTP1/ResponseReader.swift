/// Reads one HTTP/1.1 response as its bytes arrive in pieces: the head, then the body framed
/// by Content-Length, chunked coding or the end of the connection. For a client of the
/// control side (the store's), not the proxy's hot path: it copies the head and hands the
/// body's data out as it decodes it. Resumable at any split point.
public struct ResponseReader: Sendable {
    public enum Progress: Equatable, Sendable {
        /// All bytes given were used; the response goes on.
        case needMore
        /// The response is complete; bytes after it were not used.
        case complete
        /// Not a response this reader can frame: why.
        case failed(String)
    }

    private enum State: Sendable {
        case head(HeadScanner)
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
        case untilClose
        case complete
        case failed(String)
    }

    private var state: State = .head(HeadScanner(isRequest: false))
    private var headBytes: [UInt8] = []
    private let limits = Limits()
    private let requestWasHead: Bool
    /// The status code, once the head is in (0 before).
    public private(set) var status = 0
    /// Whether the server allows another request on the connection after this response.
    public private(set) var keepAlive = true

    /// `requestWasHead`: the response to a HEAD request has no body.
    public init(requestWasHead: Bool = false) {
        self.requestWasHead = requestWasHead
    }

    /// Reads `input`, appending the body's data to `body`. Returns how many bytes of `input`
    /// belong to this response (all of them unless it completed inside `input`).
    public mutating func read(_ input: UnsafeRawBufferPointer, body: inout [UInt8]) -> (consumed: Int, progress: Progress) {
        var used = 0
        while true {
            switch state {
            case .head(var scanner):
                let before = headBytes.count
                headBytes.append(contentsOf: input[used...])
                let result = headBytes.withUnsafeBytes { scanner.scan($0, limits: limits) }
                switch result {
                case .incomplete:
                    state = .head(scanner)
                    return (input.count, .needMore)
                case .error(let error):
                    return fail("response head: \(error)", used)
                case .complete(let headEnd):
                    used += headEnd - before
                    headBytes.removeSubrange(headEnd...)
                    if let reason = parseHead(start: scanner.headStart, headEnd: headEnd) { return fail(reason, used) }
                }
            case .length(let remaining):
                let n = min(remaining, input.count - used)
                body.append(contentsOf: input[used..<(used + n)])
                used += n
                if remaining == n {
                    state = .complete
                } else {
                    state = .length(remaining: remaining - n)
                    return (used, .needMore)
                }
            case .chunked(var decoder):
                let output = decoder.decode(UnsafeRawBufferPointer(rebasing: input[used...]))
                body.append(contentsOf: input[(used + output.data.lowerBound)..<(used + output.data.upperBound)])
                used += output.consumed
                switch output.status {
                case .error: return fail("bad chunked framing", used)
                case .end: state = .complete
                case .needMore:
                    state = .chunked(decoder)
                    if used == input.count { return (used, .needMore) }
                }
            case .untilClose:
                body.append(contentsOf: input[used...])
                return (input.count, .needMore)
            case .complete:
                return (used, .complete)
            case .failed(let reason):
                return (used, .failed(reason))
            }
        }
    }

    /// The connection ended: completes a response framed by the end of the connection,
    /// and fails any other that is not complete.
    public mutating func endOfInput() -> Progress {
        switch state {
        case .untilClose, .complete:
            state = .complete
            return .complete
        case .failed(let reason):
            return .failed(reason)
        default:
            _ = fail("connection closed before the response was complete", 0)
            return .failed("connection closed before the response was complete")
        }
    }

    /// Parses the complete head in `headBytes` and picks the body's framing; the reason when
    /// it cannot.
    private mutating func parseHead(start: Int, headEnd: Int) -> String? {
        var head = ResponseHead()
        let error = headBytes.withUnsafeBytes { head.parse($0, start: start, headEnd: headEnd, limits: limits) }
        if let error { return "response head: \(error)" }
        status = head.status
        keepAlive = head.keepAlive
        headBytes = []
        if status < 200 { return "interim responses are not expected (\(status))" }
        if !head.hasBody(requestWasHead: requestWasHead) {
            state = .complete
        } else if head.head.chunked {
            state = .chunked(ChunkedDecoder())
        } else if let length = head.head.contentLength {
            state = .length(remaining: length)
        } else {
            keepAlive = false
            state = .untilClose
        }
        return nil
    }

    private mutating func fail(_ reason: String, _ used: Int) -> (consumed: Int, progress: Progress) {
        state = .failed(reason)
        keepAlive = false
        return (used, .failed(reason))
    }
}
