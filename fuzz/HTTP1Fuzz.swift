// libFuzzer entry point for the HTTP/1.1 parsers (HeadScanner, RequestHead, ResponseHead,
// MessageHead) and the ChunkedDecoder.
//
// Not a package target: scripts/fuzz.sh compiles this file together with Sources/HTTP1/*.swift
// and Tests/HTTP1Tests/MessageEvents.swift (the recorder the split-point tests use too) into one
// binary with `swiftc -sanitize=fuzzer,address`. Only the public API of HTTP1 is used,
// in the way the proxy uses it (see Tests/HTTP1Tests/MessageEvents.swift): bytes appended to a
// ByteBuffer and `MessageReader` (the proxy's own parser driver) run after each read: the head
// scanned and parsed, consumed, the body framed by Content-Length or decoded as chunked,
// pipelined messages after it.
//
// Every input is used whole as
//   1. a stream of requests  (default limits, and small limits derived from the selector byte),
//   2. a stream of responses (same two limits),
//   3. a chunked body on its own,
// each fed in one piece, in three pieces cut at points chosen by the selector byte (the last
// byte of the input), and byte by byte when the input is short. Everything the parsers report is
// recorded and the runs must agree exactly. Any broken invariant traps (fatalError), which
// libFuzzer reports as a crash. See fuzz/README.md.

// MARK: - Entry point

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let selector = input[size - 1]
    let cuts = cutPoints(count: size, selector: selector)
    let small = Limits(
        requestLine: 12 + Int(selector & 0x3F),
        headerSection: 40 + Int(selector),
        headerCount: 1 + Int(selector & 0x07)
    )
    for isRequest in [true, false] {
        for limits in [Limits(), small] {
            let whole = runMessages(pieces(input, []), isRequest: isRequest, limits: limits, exactCapacity: true)
            let split = runMessages(pieces(input, cuts), isRequest: isRequest, limits: limits, exactCapacity: false)
            check(split == whole, "\(isRequest ? "request" : "response") stream split at \(cuts) differs:\n split \(split)\n whole \(whole)")
            if size <= byteByByteMax {
                let single = runMessages(pieces(input, Array(1..<size)), isRequest: isRequest, limits: limits, exactCapacity: false)
                check(single == whole, "\(isRequest ? "request" : "response") stream byte by byte differs:\n bytes \(single)\n whole \(whole)")
            }
        }
    }
    let whole = runChunked(pieces(input, []), exactCapacity: true)
    checkAgainstReference(input, whole)
    let split = runChunked(pieces(input, cuts), exactCapacity: false)
    check(split == whole, "chunked split at \(cuts) differs: \(split) vs \(whole)")
    if size <= byteByByteMax {
        let single = runChunked(pieces(input, Array(1..<size)), exactCapacity: false)
        check(single == whole, "chunked byte by byte differs: \(single) vs \(whole)")
    }
    return 0
}

/// Inputs up to this size are also fed one byte per read.
let byteByByteMax = 512

/// Two cut points from one byte: one at selector/256 of the input, one as far from the end.
func cutPoints(count: Int, selector: UInt8) -> [Int] {
    let a = Int(selector) * (count + 1) / 256
    return [a, count - a].sorted()
}

func pieces(_ input: [UInt8], _ cuts: [Int]) -> [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    var start = 0
    for cut in cuts where cut >= start && cut <= input.count {
        result.append(input[start..<cut])
        start = cut
    }
    result.append(input[start...])
    return result
}

@inline(never)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("HTTP1 fuzz invariant broken: \(message())") }
}

// MARK: - The reader fed in pieces (Tests/HTTP1Tests/MessageEvents.swift's `run`), with checks

/// Runs `pieces` through `run` with the fuzzer's checks: with `exactCapacity` the buffer is
/// allocated with exactly the input's size, every read looks at an exact heap copy of the unread
/// bytes (AddressSanitizer sees any read past the bytes received), and every head must be what
/// the scanner promised and parse the same alone.
func runMessages(_ pieces: [ArraySlice<UInt8>], isRequest: Bool, limits: Limits, exactCapacity: Bool) -> [Event] {
    var hooks = RunHooks()
    hooks.read = { reader, input, eof, limits in
        withExactCopy(input, input.count) { reader.read($0, eof: eof, limits: limits) }
    }
    hooks.head = { reader, buf, headEnd, limits in
        let headStart = reader.headStart
        checkScannedHead(buf, headStart: headStart, headEnd: headEnd, limits: limits)
        if isRequest {
            check(.request(RequestSummary(reader.request, buf, headStart: headStart)) == parseRequestAlone(buf, headStart: headStart, headEnd: headEnd, limits: limits),
                  "request parse depends on bytes after the head or on reuse")
        } else {
            check(.response(ResponseSummary(reader.response, buf, headStart: headStart)) == parseResponseAlone(buf, headStart: headStart, headEnd: headEnd, limits: limits),
                  "response parse depends on bytes after the head or on reuse")
        }
    }
    let total = pieces.reduce(0) { $0 + $1.count }
    return run(pieces, isRequest: isRequest, limits: limits, initialCapacity: exactCapacity ? total : 16, hooks: hooks)
}

/// Runs `body` on a heap copy of exactly `buf[0..<end]`: a parser reading past the end of the
/// head is then caught by AddressSanitizer.
func withExactCopy<R>(_ buf: UnsafeRawBufferPointer, _ end: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: end, alignment: 1)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(rebasing: buf[0..<end]))
    return body(UnsafeRawBufferPointer(copy))
}

/// Parses the head alone, in an exact copy of the bytes up to `headEnd` and into a fresh head:
/// what the reader parsed in place must not depend on bytes after the head or on reuse.
func parseRequestAlone(_ buf: UnsafeRawBufferPointer, headStart: Int, headEnd: Int, limits: Limits) -> Event {
    withExactCopy(buf, headEnd) { head in
        var fresh = RequestHead()
        if let error = fresh.parse(head, start: headStart, headEnd: headEnd, limits: limits) { return .headError(error) }
        checkRequest(fresh, head, headStart: headStart, headEnd: headEnd, limits: limits)
        return .request(RequestSummary(fresh, head, headStart: headStart))
    }
}

func parseResponseAlone(_ buf: UnsafeRawBufferPointer, headStart: Int, headEnd: Int, limits: Limits) -> Event {
    withExactCopy(buf, headEnd) { head in
        var fresh = ResponseHead()
        if let error = fresh.parse(head, start: headStart, headEnd: headEnd, limits: limits) { return .headError(error) }
        checkResponse(fresh, head, headStart: headStart, headEnd: headEnd, limits: limits)
        return .response(ResponseSummary(fresh, head, headStart: headStart))
    }
}

// MARK: - Invariants of an accepted head

let CR: UInt8 = 0x0D, LF: UInt8 = 0x0A, SP: UInt8 = 0x20, HTAB: UInt8 = 0x09

func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
}

func isFieldValueByte(_ b: UInt8) -> Bool { b == HTAB || (b >= 0x20 && b != 0x7F) }

func lowercased(_ b: [UInt8]) -> [UInt8] { b.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }

/// What the scanner promised: the head lies in the buffer, ends in CRLF CRLF, respects the limit,
/// and has no bare CR or LF.
func checkScannedHead(_ buf: UnsafeRawBufferPointer, headStart: Int, headEnd: Int, limits: Limits) {
    check(headStart >= 0 && headStart <= 8 && headStart < headEnd && headEnd <= buf.count, "head \(headStart)..<\(headEnd) in \(buf.count)")
    check(headEnd - headStart <= limits.headerSection, "head of \(headEnd - headStart) bytes over limit \(limits.headerSection)")
    check(buf[headEnd - 4] == CR && buf[headEnd - 3] == LF && buf[headEnd - 2] == CR && buf[headEnd - 1] == LF, "head does not end in CRLF CRLF")
    for i in 0..<headEnd {
        if buf[i] == CR { check(i + 1 < headEnd && buf[i + 1] == LF, "bare CR at \(i) in a complete head") }
        if buf[i] == LF { check(i > 0 && buf[i - 1] == CR, "bare LF at \(i) in a complete head") }
    }
    for i in stride(from: 0, to: headStart, by: 2) { check(buf[i] == CR && buf[i + 1] == LF, "headStart \(headStart) after non-empty bytes") }
    check(buf[headStart] != CR, "headStart on an empty line")
}

/// Content-Length as RFC 9110 8.6 allows it: 1*DIGIT, or a list of identical such values.
/// An independent re-implementation, compared with what the parser accepted.
func referenceContentLength(_ value: [UInt8]) -> Int? {
    var result: Int?
    for element in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
        var e = element[...]
        while let f = e.first, f == SP || f == HTAB { e = e.dropFirst() }
        while let l = e.last, l == SP || l == HTAB { e = e.dropLast() }
        guard !e.isEmpty, e.count <= 18, e.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let n = e.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        if let r = result, r != n { return nil }
        result = n
    }
    return result
}

/// The fields of an accepted head: one per line of the field section, in order, name a token at
/// the start of its line, value trimmed and free of control bytes, kinds as their names say,
/// framing unambiguous (no Content-Length with chunked, identical Content-Length values,
/// Transfer-Encoding only as one `chunked`), at most one Host, within the limits.
func checkFields(_ h: MessageHead, _ buf: UnsafeRawBufferPointer, fieldsStart: Int, headEnd: Int, limits: Limits) {
    check(h.fields.count <= limits.headerCount, "\(h.fields.count) fields over limit \(limits.headerCount)")
    var lineStart = fieldsStart
    var hostCount = 0, teCount = 0, clCount = 0
    for (index, f) in h.fields.enumerated() {
        check(f.name.lowerBound == lineStart, "field \(index) name at \(f.name.lowerBound), line starts at \(lineStart)")
        check(!f.name.isEmpty && f.name.upperBound < headEnd - 2 && buf[f.name.upperBound] == UInt8(ascii: ":"), "field \(index) name not followed by a colon")
        for i in f.name { check(isTokenByte(buf[i]), "non-token byte \(buf[i]) in field name") }
        check(f.value.lowerBound > f.name.upperBound && f.value.upperBound <= headEnd - 2, "field \(index) value \(f.value) misplaced")
        var eol = f.name.upperBound + 1
        while buf[eol] != CR { eol += 1 }
        check(f.value.upperBound <= eol, "field \(index) value runs past its line")
        for i in (f.name.upperBound + 1)..<eol {
            check(isFieldValueByte(buf[i]), "control byte \(buf[i]) in field value")
            if i < f.value.lowerBound || i >= f.value.upperBound { check(buf[i] == SP || buf[i] == HTAB, "value \(f.value) not trimmed OWS only") }
        }
        if !f.value.isEmpty {
            for i in [f.value.lowerBound, f.value.upperBound - 1] { check(buf[i] != SP && buf[i] != HTAB, "value not trimmed") }
        }
        lineStart = eol + 2

        let name = lowercased(Array(UnsafeRawBufferPointer(rebasing: buf[f.name])))
        let value = Array(UnsafeRawBufferPointer(rebasing: buf[f.value]))
        switch name {
        case Array("host".utf8):
            check(f.kind == .host && h.hostIndex == index, "Host field \(index) kind \(f.kind) hostIndex \(String(describing: h.hostIndex))")
            hostCount += 1
        case Array("content-length".utf8):
            check(f.kind == .contentLength, "Content-Length classified \(f.kind)")
            clCount += 1
            let n = referenceContentLength(value)
            check(n != nil && n == h.contentLength, "accepted Content-Length \(String(decoding: value, as: UTF8.self).debugDescription) as \(String(describing: h.contentLength))")
        case Array("transfer-encoding".utf8):
            check(f.kind == .transferEncoding, "Transfer-Encoding classified \(f.kind)")
            check(lowercased(value) == Array("chunked".utf8), "accepted Transfer-Encoding \(String(decoding: value, as: UTF8.self).debugDescription)")
            teCount += 1
        case Array("connection".utf8):
            check(f.kind == .connection, "Connection classified \(f.kind)")
        case Array("upgrade".utf8):
            check(f.kind == .upgrade, "Upgrade classified \(f.kind)")
        case Array("te".utf8), Array("trailer".utf8), Array("keep-alive".utf8), Array("proxy-connection".utf8):
            check(f.kind == .hopByHop, "\(String(decoding: name, as: UTF8.self)) classified \(f.kind)")
        default:
            check(f.kind != .host && f.kind != .contentLength && f.kind != .transferEncoding && f.kind != .connection && f.kind != .upgrade,
                  "\(String(decoding: name, as: UTF8.self)) classified \(f.kind)")
        }
    }
    check(lineStart == headEnd - 2, "fields cover \(fieldsStart)..<\(lineStart), field section ends at \(headEnd - 2)")
    check(hostCount <= 1 && (hostCount == 1) == (h.hostIndex != nil), "\(hostCount) Host fields, hostIndex \(String(describing: h.hostIndex))")
    check(teCount <= 1 && (teCount == 1) == h.chunked, "\(teCount) Transfer-Encoding fields, chunked \(h.chunked)")
    check((clCount > 0) == (h.contentLength != nil), "\(clCount) Content-Length fields, value \(String(describing: h.contentLength))")
    check(!(h.chunked && h.contentLength != nil), "accepted both chunked and Content-Length")
    if let n = h.contentLength { check(n >= 0, "negative Content-Length") }
    if let u = h.upgradeIndex { check(h.fields[u].kind == .upgrade, "upgradeIndex points to \(h.fields[u].kind)") }
}

func checkRequest(_ r: RequestHead, _ buf: UnsafeRawBufferPointer, headStart: Int, headEnd: Int, limits: Limits) {
    check(r.headEnd == headEnd, "headEnd \(r.headEnd) != scanned \(headEnd)")
    check(r.method.lowerBound == headStart && !r.method.isEmpty, "method \(r.method) not at head start \(headStart)")
    for i in r.method { check(isTokenByte(buf[i]), "non-token method") }
    check(buf[r.method.upperBound] == SP && r.target.lowerBound >= r.method.upperBound + 1 && !r.target.isEmpty, "target misplaced") // >: absolute form
    for i in r.target { check(buf[i] > 0x20 && buf[i] < 0x7F, "control byte in target") }
    let firstTarget = buf[r.target.lowerBound]
    check(firstTarget == UInt8(ascii: "/") || (r.target.count == 1 && firstTarget == UInt8(ascii: "*")), "target not origin-form or *")
    let version = r.target.upperBound + 1
    check(buf[r.target.upperBound] == SP && buf[version + 8] == CR, "request line does not end after the version")
    check(version + 8 - headStart <= limits.requestLine, "request line of \(version + 8 - headStart) over limit \(limits.requestLine)")
    check(r.version == .http10 || r.head.hostIndex != nil, "HTTP/1.1 request without Host")
    check(!(r.version == .http10 && r.head.chunked), "HTTP/1.0 request with Transfer-Encoding")
    checkFields(r.head, buf, fieldsStart: version + 10, headEnd: headEnd, limits: limits)
}

func checkResponse(_ r: ResponseHead, _ buf: UnsafeRawBufferPointer, headStart: Int, headEnd: Int, limits: Limits) {
    check(r.headEnd == headEnd, "headEnd \(r.headEnd) != scanned \(headEnd)")
    check(r.status >= 100 && r.status <= 999, "status \(r.status)")
    check(r.reason.lowerBound >= headStart + 12 && r.reason.upperBound + 2 == r.fieldsStart && buf[r.reason.upperBound] == CR, "reason \(r.reason) misplaced")
    for i in r.reason { check(isFieldValueByte(buf[i]), "control byte in reason") }
    checkFields(r.head, buf, fieldsStart: r.fieldsStart, headEnd: headEnd, limits: limits)
}

// MARK: - Chunked decoding of the whole input

struct ChunkedResult: Equatable, CustomStringConvertible {
    var data: [UInt8]
    /// The trailer section's field lines (each with its CRLF), as far as they were read.
    var trailer: [UInt8]
    var status: ChunkedDecoder.Status
    /// Bytes consumed in all: up to the end of the body, the offending byte, or the whole input.
    var consumed: Int
    var description: String { "\(status) after \(consumed) bytes, \(data.count) data bytes, \(trailer.count) trailer bytes" }
}

/// The decoder's contract for one call.
func checkDecodeOutput(_ out: ChunkedDecoder.Output, inputCount: Int) {
    check(out.consumed >= 0 && out.consumed <= inputCount, "consumed \(out.consumed) of \(inputCount)")
    check(out.data.lowerBound >= 0 && out.data.upperBound <= out.consumed, "data \(out.data) outside consumed \(out.consumed)")
    if out.status == .needMore && inputCount > 0 { check(out.consumed > 0, "needMore without progress on \(inputCount) bytes") }
    if out.status != .needMore { check(out.data.isEmpty, "\(out.status) with data \(out.data)") }
}

/// The trailer range of one call: inside the consumed bytes, and never in the same call as data.
func checkTrailerRange(_ trailer: Range<Int>, _ out: ChunkedDecoder.Output) {
    check(trailer.lowerBound >= 0 && trailer.upperBound <= out.consumed, "trailer \(trailer) outside consumed \(out.consumed)")
    check(trailer.isEmpty || out.data.isEmpty, "trailer \(trailer) and data \(out.data) in one call")
}

/// Decodes `pieces` as one chunked body, the way the proxy does, and checks that `.end` and
/// `.error` are final.
func runChunked(_ pieces: [ArraySlice<UInt8>], exactCapacity: Bool) -> ChunkedResult {
    let total = pieces.reduce(0) { $0 + $1.count }
    var inbuf = ByteBuffer(capacity: exactCapacity ? total : 16)
    var decoder = ChunkedDecoder()
    var data: [UInt8] = []
    var trailer: [UInt8] = []
    var consumed = 0
    var status = ChunkedDecoder.Status.needMore
    feeding: for piece in pieces {
        piece.withUnsafeBytes { inbuf.append($0) }
        // Every call consumes at least one byte or ends the loop.
        let budget = inbuf.readableBytes + 1
        var calls = 0
        while inbuf.readableBytes > 0 {
            calls += 1
            check(calls <= budget, "decoder loops")
            let input = inbuf.readable
            let out = decoder.decode(input)
            checkDecodeOutput(out, inputCount: input.count)
            checkTrailerRange(decoder.trailer, out)
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[out.data]))
            trailer.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[decoder.trailer]))
            consumed += out.consumed
            inbuf.consume(out.consumed)
            status = out.status
            if status != .needMore { break feeding }
            if out.consumed == 0 { break }
        }
    }
    check(decoder.isDone == (status == .end), "isDone \(decoder.isDone) with status \(status)")
    if status != .needMore {
        // Final: more bytes, even a valid body, change nothing.
        let again: [UInt8] = Array("0\r\n\r\n".utf8)
        let out = again.withUnsafeBytes { decoder.decode($0) }
        check(out.status == status && out.consumed == 0 && out.data.isEmpty, "\(status) not final: then \(out)")
        check(decoder.trailer.isEmpty, "trailer bytes after \(status)")
    }
    return ChunkedResult(data: data, trailer: trailer, status: status, consumed: consumed)
}

/// A plain, non-streaming reading of RFC 9112 7.1 without the size limits: the decoder may refuse
/// more than this (limits, strict bytes), but what it accepts as a complete body must read the
/// same here, to the same end and with the same data; and a refusal must be at a byte the
/// reference also cannot accept or where a limit applies.
func checkAgainstReference(_ input: [UInt8], _ result: ChunkedResult) {
    let reference = referenceChunked(input)
    switch result.status {
    case .end:
        check(reference.status == .end && reference.consumed == result.consumed && reference.data == result.data
                && reference.trailer == result.trailer,
              "decoder accepted a body the reference reads as \(reference) (decoder: \(result))")
    case .needMore:
        check(reference.status == .needMore, "decoder waits for more where the reference reads \(reference)")
        check(reference.data.starts(with: result.data), "data differs from the reference")
    case .error:
        check(reference.data.starts(with: result.data), "data differs from the reference")
        if reference.status == .error { check(result.consumed <= reference.consumed, "decoder fails later (\(result.consumed)) than the reference (\(reference.consumed))") }
    }
}

func referenceChunked(_ b: [UInt8]) -> ChunkedResult {
    var i = 0
    var data: [UInt8] = []
    var trailerStart = 0
    func result(_ s: ChunkedDecoder.Status) -> ChunkedResult {
        ChunkedResult(data: data, trailer: s == .end ? Array(b[trailerStart..<(i - 2)]) : [], status: s, consumed: i)
    }
    /// Reads to the CRLF ending a line; nil and the offset of a bad byte if a bare CR/LF comes first.
    func lineEnd(_ from: Int) -> (end: Int?, bad: Int?) {
        var j = from
        while j < b.count {
            if b[j] == CR {
                if j + 1 == b.count { return (nil, nil) }
                return b[j + 1] == LF ? (j, nil) : (nil, j + 1)
            }
            if b[j] == LF || b[j] == 0 || b[j] == 0x7F || (b[j] < 0x20 && b[j] != HTAB) { return (nil, j) }
            j += 1
        }
        return (nil, nil)
    }
    while true {
        // chunk-size: 1*HEXDIG
        var size: UInt64 = 0
        let sizeStart = i
        while i < b.count, let h = hexValue(b[i]) {
            guard i - sizeStart < 15 else { return result(.error) }
            size = size << 4 | UInt64(h)
            i += 1
        }
        guard i < b.count else { return result(.needMore) }
        guard i > sizeStart, b[i] == CR || b[i] == UInt8(ascii: ";") else { return result(.error) }
        let (end, bad) = lineEnd(i)
        guard let end else {
            if let bad { i = bad; return result(.error) }
            i = b.count
            return result(.needMore)
        }
        i = end + 2
        if size == 0 { break }
        let n = Int(min(size, UInt64(b.count - i)))
        data += b[i..<(i + n)]
        i += n
        guard UInt64(n) == size else { return result(.needMore) }
        guard i < b.count else { return result(.needMore) }
        guard b[i] == CR else { return result(.error) }
        i += 1
        guard i < b.count else { return result(.needMore) }
        guard b[i] == LF else { return result(.error) }
        i += 1
    }
    // trailer-section: *( field-line CRLF ) CRLF
    trailerStart = i
    while true {
        guard i < b.count else { return result(.needMore) }
        if b[i] == CR {
            guard i + 1 < b.count else { i = b.count; return result(.needMore) }
            guard b[i + 1] == LF else { i += 1; return result(.error) }
            i += 2
            return result(.end)
        }
        guard isTokenByte(b[i]) else { return result(.error) }
        let (end, bad) = lineEnd(i)
        guard let end else {
            if let bad { i = bad; return result(.error) }
            i = b.count
            return result(.needMore)
        }
        i = end + 2
    }
}

func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x61...0x66: return b - 0x61 + 10
    case 0x41...0x46: return b - 0x41 + 10
    default: return nil
    }
}
