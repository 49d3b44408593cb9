/// Decodes a chunked body (RFC 9112 7.1) as it streams through, one buffer at a time.
///
/// Runs on every read of a chunked body. It validates the framing strictly (hex sizes
/// without whitespace, CRLF after every line and chunk, bounded extensions and trailers,
/// extensions by RFC 9112 7.1.1's grammar without the optional whitespace:
/// `*( ";" token [ "=" ( token / quoted-string ) ] )`) and hands out the data bytes as
/// ranges of the input, so the proxy can re-frame them. Extensions are consumed and dropped;
/// the trailer section's field lines are handed out as ranges of the input too (`trailer`),
/// checked only for their bytes and size (a line starts with a token byte, holds field-value
/// bytes and ':', ends in CRLF). Memory use is constant.
public struct ChunkedDecoder: Sendable {
    public enum Status: Equatable, Sendable {
        /// All bytes given were used; call again with more.
        case needMore
        /// The last chunk and the trailer section have been read; the body is over.
        case end
        case error
    }

    public struct Output: Equatable, Sendable {
        /// Bytes of the input used (framing and data).
        public var consumed: Int
        /// Data bytes found, as a range of the input (may be empty).
        public var data: Range<Int>
        public var status: Status
    }

    private enum State: Sendable, Equatable {
        case size(digits: Int, value: UInt64)
        /// In a chunk extension's name (after ";"), empty so far or not.
        case extensionName(empty: Bool)
        /// After "=": a token or a quoted string follows.
        case extensionValueStart
        case extensionToken
        case extensionQuoted
        /// After a backslash in a quoted string.
        case extensionQuotedPair
        /// After a quoted string's closing quote: ";" or the line's end.
        case extensionQuotedEnd
        case sizeLF(last: Bool)
        case data(remaining: UInt64)
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF(empty: Bool)
        case done
        case failed
    }

    private var state: State = .size(digits: 0, value: 0)
    /// Size of the chunk whose size line is being read.
    private var chunkSize: UInt64 = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    /// The trailer section's field-line bytes (CRLFs included, the final empty line not) that
    /// the last `decode` consumed, as a range of its input; empty when it consumed none.
    /// Together, the ranges of all calls are the whole section.
    public private(set) var trailer: Range<Int> = 0..<0
    /// Longest chunk-size line (with extensions) and largest trailer section accepted.
    private let maxLine = 4096
    private let maxTrailers = 16 * 1024

    public init() {}

    public var isDone: Bool { state == .done }

    /// Consumes framing bytes from `buf` up to and including at most one run of data bytes.
    /// Call repeatedly on the rest of the input until it returns `.needMore` with nothing
    /// consumed, `.end` or `.error`.
    public mutating func decode(_ buf: UnsafeRawBufferPointer) -> Output {
        var i = 0
        let count = buf.count
        while i < count {
            let b = buf[i]
            switch state {
            case .size(let digits, let value):
                if let h = ByteClass.hexValue(b) {
                    guard digits < 15 else { return fail(i) }
                    state = .size(digits: digits + 1, value: value << 4 | UInt64(h))
                    lineBytes += 1
                } else if digits > 0 && b == UInt8(ascii: ";") {
                    chunkSize = value
                    state = .extensionName(empty: true)
                    lineBytes += 1
                } else if digits > 0 && b == 0x0D {
                    chunkSize = value
                    state = .sizeLF(last: value == 0)
                } else {
                    return fail(i)
                }
                i += 1
            case .extensionName, .extensionValueStart, .extensionToken, .extensionQuoted, .extensionQuotedPair,
                 .extensionQuotedEnd:
                guard let next = extensionState(after: b), b == 0x0D || lineBytes < maxLine else { return fail(i) }
                state = next
                lineBytes += 1
                i += 1
            case .sizeLF(let last):
                guard b == 0x0A else { return fail(i) }
                i += 1
                lineBytes = 0
                if last {
                    state = .trailerLineStart
                } else {
                    state = .data(remaining: chunkSize)
                }
            case .data(let remaining):
                let n = Int(min(remaining, UInt64(count - i)))
                let left = remaining - UInt64(n)
                state = left == 0 ? .dataCR : .data(remaining: left)
                return Output(consumed: i + n, data: i..<(i + n), status: .needMore)
            case .dataCR:
                guard b == 0x0D else { return fail(i) }
                state = .dataLF
                i += 1
            case .dataLF:
                guard b == 0x0A else { return fail(i) }
                state = .size(digits: 0, value: 0)
                i += 1
            case .trailerLineStart, .trailerLine, .trailerLF, .done:
                return decodeTrailer(buf, from: i)
            case .failed:
                return fail(i)
            }
        }
        if state == .done { return decodeTrailer(buf, from: i) }
        return Output(consumed: i, data: i..<i, status: .needMore)
    }

    /// The part of `decode` after the last chunk's line: reads the trailer section from
    /// `buf[start...]` to its final empty line, setting `trailer` to the field-line bytes it
    /// consumed. Runs once per call once the data is over, so the data path never pays for it.
    private mutating func decodeTrailer(_ buf: UnsafeRawBufferPointer, from start: Int) -> Output {
        var i = start
        var fieldEnd = start
        defer { trailer = start..<fieldEnd }
        while i < buf.count {
            let b = buf[i]
            switch state {
            case .trailerLineStart:
                if b == 0x0D {
                    state = .trailerLF(empty: true)
                } else {
                    guard ByteClass.token[Int(b)] else { return fail(i) }
                    state = .trailerLine
                }
                trailerBytes += 1
                i += 1
            case .trailerLine:
                if b == 0x0D {
                    state = .trailerLF(empty: false)
                } else {
                    guard ByteClass.fieldValue[Int(b)] || b == UInt8(ascii: ":") else { return fail(i) }
                }
                trailerBytes += 1
                guard trailerBytes <= maxTrailers else { return fail(i) }
                i += 1
            case .trailerLF(let empty):
                guard b == 0x0A else { return fail(i) }
                i += 1
                if empty {
                    state = .done
                    return Output(consumed: i, data: i..<i, status: .end)
                }
                state = .trailerLineStart
            case .done:
                return Output(consumed: i, data: i..<i, status: .end)
            default:
                return fail(i)
            }
            if state != .trailerLF(empty: true) { fieldEnd = i }
        }
        if state == .done { return Output(consumed: i, data: i..<i, status: .end) }
        return Output(consumed: i, data: i..<i, status: .needMore)
    }

    /// The state after byte `b` of a chunk extension (RFC 9112 7.1.1), nil if `b` breaks the
    /// grammar. A CR ends the line after a name or a value, never after ";" or "=".
    private func extensionState(after b: UInt8) -> State? {
        let isToken = ByteClass.token[Int(b)]
        let lineEnd = State.sizeLF(last: chunkSize == 0)
        switch state {
        case .extensionName(let empty):
            if isToken { return .extensionName(empty: false) }
            guard !empty else { return nil }
            if b == UInt8(ascii: "=") { return .extensionValueStart }
            if b == UInt8(ascii: ";") { return .extensionName(empty: true) }
            return b == 0x0D ? lineEnd : nil
        case .extensionValueStart:
            if isToken { return .extensionToken }
            return b == UInt8(ascii: "\"") ? .extensionQuoted : nil
        case .extensionToken:
            if isToken { return .extensionToken }
            if b == UInt8(ascii: ";") { return .extensionName(empty: true) }
            return b == 0x0D ? lineEnd : nil
        case .extensionQuoted:
            if b == UInt8(ascii: "\"") { return .extensionQuotedEnd }
            if b == UInt8(ascii: "\\") { return .extensionQuotedPair }
            return ByteClass.fieldValue[Int(b)] ? .extensionQuoted : nil
        case .extensionQuotedPair:
            return ByteClass.fieldValue[Int(b)] ? .extensionQuoted : nil
        case .extensionQuotedEnd:
            if b == UInt8(ascii: ";") { return .extensionName(empty: true) }
            return b == 0x0D ? lineEnd : nil
        default:
            return nil
        }
    }

    private mutating func fail(_ at: Int) -> Output {
        state = .failed
        trailer = 0..<0
        return Output(consumed: at, data: at..<at, status: .error)
    }
}
