/// Reads one HTTP/1.1 response as its bytes arrive in pieces, for a client of the control side
/// (the store's), not the proxy's hot path: a `MessageReader` (the one parser driver) behind
/// an API that keeps the head's bytes itself and hands the body's data out as it decodes it.
/// Resumable at any split point.
public struct ResponseReader: Sendable {
    public enum Progress: Equatable, Sendable {
        /// All bytes given were used; the response goes on.
        case needMore
        /// The response is complete; bytes after it were not used.
        case complete
        /// Not a response this reader can frame: why.
        case failed(String)
    }

    private var reader = MessageReader(isRequest: false)
    /// The head's bytes so far (the caller keeps no buffer).
    private var headBytes: [UInt8] = []
    /// Set once the response is complete or failed.
    private var end: Progress?
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
        if let end { return (0, end) }
        var used = 0
        if reader.readingHead {
            let before = headBytes.count
            headBytes.append(contentsOf: input)
            switch headBytes.withUnsafeBytes({ reader.read($0, eof: false, limits: Limits()) }) {
            case .needMore, .body:
                return (input.count, .needMore)
            case .headError(let error):
                return fail("response head: \(error)", 0)
            case .head(let headEnd):
                used = headEnd - before
                headBytes = []
                status = reader.response.status
                keepAlive = reader.response.keepAlive
                if status < 200 { return fail("interim responses are not expected (\(status))", used) }
                let framing = reader.response.bodyFraming(requestWasHead: requestWasHead)
                if framing == .untilClose { keepAlive = false }
                reader.expectBody(framing)
                if framing == .none { return finish(used) }
            }
        }
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: input[used...])
            guard case .body(let step) = reader.read(rest, eof: false, limits: Limits()) else { return (used, .needMore) }
            body.append(contentsOf: rest[step.data])
            used += step.consumed
            switch step.status {
            case .end:
                return finish(used)
            case .invalid:
                return fail("bad chunked framing", used)
            case .more, .truncated:
                if step.consumed == 0 || used == input.count { return (used, .needMore) }
            }
        }
    }

    /// The connection ended: completes a response framed by the end of the connection,
    /// and fails any other that is not complete.
    public mutating func endOfInput() -> Progress {
        if let end { return end }
        if !reader.readingHead, case .body(let step) = reader.read(UnsafeRawBufferPointer(start: nil, count: 0), eof: true, limits: Limits()),
           step.status == .end {
            return finish(0).progress
        }
        return fail("connection closed before the response was complete", 0).progress
    }

    private mutating func finish(_ used: Int) -> (consumed: Int, progress: Progress) {
        end = .complete
        return (used, .complete)
    }

    private mutating func fail(_ reason: String, _ used: Int) -> (consumed: Int, progress: Progress) {
        end = .failed(reason)
        keepAlive = false
        return (used, .failed(reason))
    }
}
