/// Reads one message body as it streams through, framed as its head said.
///
/// Runs on every read of a body, on the input buffer's unread bytes. It hands out the data
/// bytes as ranges of that input (so the caller can copy them, re-frame them, or trade the
/// buffer's storage away) and says how many input bytes to consume; a chunked body's trailer
/// section comes out the same way (`trailer`). Memory use is constant.
public struct BodyReader: Sendable {
    /// One step over the input.
    public struct Step: Equatable, Sendable {
        /// Input bytes used (framing and data); the caller consumes them.
        public var consumed: Int
        /// Data bytes, as a range of the input (may be empty).
        public var data: Range<Int>
        public var status: Status

        @inlinable
        public init(consumed: Int, data: Range<Int>, status: Status) {
            self.consumed = consumed
            self.data = data
            self.status = status
        }
    }

    public enum Status: Equatable, Sendable {
        /// The body goes on: call again with more input (a step that consumed nothing needs it).
        case more
        /// The body is complete.
        case end
        /// The chunked framing is invalid (RFC 9112 7.1): the message cannot be completed.
        case invalid
        /// The input ended (`eof`) before the body did.
        case truncated
    }

    /// What is left of the body: `.none` once it is complete.
    @inlinable public var framing: BodyFraming { left }
    @usableFromInline var left: BodyFraming
    @usableFromInline var chunks = ChunkedDecoder()

    @inlinable
    public init(_ framing: BodyFraming) { left = framing }

    /// The trailer section's field-line bytes that the last `read` consumed, as a range of
    /// its input (see `ChunkedDecoder.trailer`); always empty for a body that is not chunked.
    /// Read it after each step: a `read` after the body is complete leaves it as it was.
    @inlinable public var trailer: Range<Int> { chunks.trailer }

    /// The body has been read to its end (or there was none).
    @inlinable
    public var isComplete: Bool {
        if case .none = left { return true }
        return false
    }

    /// Reads from `input` (the unread bytes; `eof` when no more will ever come). Returns at most
    /// one run of data; call again on the rest while it consumes bytes and says `.more`.
    @inlinable
    public mutating func read(_ input: UnsafeRawBufferPointer, eof: Bool) -> Step {
        switch left {
        case .none:
            return Step(consumed: 0, data: 0..<0, status: .end)
        case .length(let remaining):
            let n = min(remaining, input.count)
            if n == remaining {
                left = .none
                return Step(consumed: n, data: 0..<n, status: .end)
            }
            left = .length(remaining - n)
            return Step(consumed: n, data: 0..<n, status: n == 0 && eof ? .truncated : .more)
        case .untilClose:
            if eof && input.isEmpty {
                left = .none
                return Step(consumed: 0, data: 0..<0, status: .end)
            }
            return Step(consumed: input.count, data: 0..<input.count, status: .more)
        case .chunked:
            let out = chunks.decode(input)
            switch out.status {
            case .end:
                left = .none
                return Step(consumed: out.consumed, data: out.data, status: .end)
            case .error:
                return Step(consumed: out.consumed, data: out.data, status: .invalid)
            case .needMore:
                let stuck = eof && out.consumed == input.count && out.data.isEmpty
                return Step(consumed: out.consumed, data: out.data, status: stuck ? .truncated : .more)
            }
        }
    }
}
