/// Reads HTTP/1.1 messages one after another from one side of a connection: a head, scanned
/// as bytes arrive and parsed once complete, then its body, then the next head.
///
/// The proxy reads requests from clients and responses from backends with it; the split-point
/// tests and the fuzzer drive this same code. It never owns the bytes: each call looks at the
/// input buffer's unread bytes and says what it found and how many of them to consume.
public struct MessageReader: Sendable {
    public enum Step: Equatable, Sendable {
        /// The head is not complete yet; call again when more bytes arrived.
        case needMore
        /// A head is complete and parsed (into `request` or `response`); it fills the first
        /// `end` bytes of the input. The caller uses its ranges, consumes them, and says with
        /// `expectBody` what follows.
        case head(end: Int)
        /// The head was refused; the connection closes.
        case headError(ParseError)
        /// A step of the body (see `BodyReader`); after `.end` the next call reads a head.
        case body(BodyReader.Step)
    }

    public let isRequest: Bool
    /// The last request head read (a request reader).
    public var request = RequestHead()
    /// The last response head read (a response reader).
    public var response = ResponseHead()
    @inlinable public var scanner: HeadScanner { headScanner }
    /// Where the last complete head started (after any leading empty lines).
    @inlinable public var headStart: Int { lastHeadStart }
    @inlinable public var body: BodyReader { bodyReader }
    /// A head is being read (rather than a body).
    @inlinable public var readingHead: Bool { inHead }

    @usableFromInline var headScanner: HeadScanner
    @usableFromInline var lastHeadStart = 0
    @usableFromInline var bodyReader = BodyReader(.none)
    @usableFromInline var inHead = true

    public init(isRequest: Bool) {
        self.isRequest = isRequest
        headScanner = HeadScanner(isRequest: isRequest)
    }

    /// Forgets any partial head or body: the next bytes start a new message.
    @inlinable
    public mutating func reset() {
        headScanner.reset()
        bodyReader = BodyReader(.none)
        inHead = true
    }

    /// After `.head`: the body that follows, as the caller framed it (`.none` reads the next head).
    @inlinable
    public mutating func expectBody(_ framing: BodyFraming) {
        bodyReader = BodyReader(framing)
        inHead = bodyReader.isComplete
    }

    /// Reads from `input`, the unread bytes (the same bytes as the last call's, minus those
    /// consumed, plus what arrived); `eof` when no more will come.
    @inlinable
    public mutating func read(_ input: UnsafeRawBufferPointer, eof: Bool, limits: Limits) -> Step {
        guard inHead else {
            let step = bodyReader.read(input, eof: eof)
            if case .end = step.status { inHead = true }
            return .body(step)
        }
        guard !input.isEmpty else { return .needMore }
        return readHead(input, limits: limits)
    }

    /// The head part of `read`: scans and, once complete, parses.
    @usableFromInline
    mutating func readHead(_ input: UnsafeRawBufferPointer, limits: Limits) -> Step {
        switch headScanner.scan(input, limits: limits) {
        case .incomplete:
            return .needMore
        case .error(let error):
            return .headError(error)
        case .complete(let headEnd):
            lastHeadStart = headScanner.headStart
            headScanner.reset()
            let error = isRequest
                ? request.parse(input, start: lastHeadStart, headEnd: headEnd, limits: limits)
                : response.parse(input, start: lastHeadStart, headEnd: headEnd, limits: limits)
            if let error { return .headError(error) }
            return .head(end: headEnd)
        }
    }
}
