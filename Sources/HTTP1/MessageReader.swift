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
    public private(set) var scanner: HeadScanner
    /// Where the last complete head started (after any leading empty lines).
    public private(set) var headStart = 0
    public private(set) var body = BodyReader(.none)
    /// A head is being read (rather than a body).
    public private(set) var readingHead = true

    public init(isRequest: Bool) {
        self.isRequest = isRequest
        scanner = HeadScanner(isRequest: isRequest)
    }

    /// Forgets any partial head or body: the next bytes start a new message.
    public mutating func reset() {
        scanner.reset()
        body = BodyReader(.none)
        readingHead = true
    }

    /// After `.head`: the body that follows, as the caller framed it (`.none` reads the next head).
    public mutating func expectBody(_ framing: BodyFraming) {
        body = BodyReader(framing)
        readingHead = framing == .none
    }

    /// Reads from `input`, the unread bytes (the same bytes as the last call's, minus those
    /// consumed, plus what arrived); `eof` when no more will come.
    public mutating func read(_ input: UnsafeRawBufferPointer, eof: Bool, limits: Limits) -> Step {
        guard readingHead else {
            let step = body.read(input, eof: eof)
            if step.status == .end { readingHead = true }
            return .body(step)
        }
        guard !input.isEmpty else { return .needMore }
        switch scanner.scan(input, limits: limits) {
        case .incomplete:
            return .needMore
        case .error(let error):
            return .headError(error)
        case .complete(let headEnd):
            headStart = scanner.headStart
            scanner.reset()
            let error = isRequest
                ? request.parse(input, start: headStart, headEnd: headEnd, limits: limits)
                : response.parse(input, start: headStart, headEnd: headEnd, limits: limits)
            if let error { return .headError(error) }
            return .head(end: headEnd)
        }
    }
}
