// libFuzzer entry point for the HTTP/2 layer (Sources/HTTP2): the frame parser, HPACK and the
// connection state machine.
//
// Not a package target: scripts/fuzz.sh compiles this file together with Sources/HTTP2/**.swift
// into one binary (HTTP1, which HTTP2 imports, is built first as a static library) with
// `swiftc -sanitize=fuzzer,address`. Internal API is visible, as in the tests.
//
// The first byte of an input chooses: bit 0 prepends the client preface and an empty SETTINGS
// frame (so most inputs reach the frame layer), bit 1 uses small limits derived from the last
// byte (few streams, small header lists, tiny budgets) so the defences are reached. The rest
// is what a client sends. Each input is
//   1. fed to a connection that never answers: whole, in three pieces cut at points chosen by
//      the last byte, and byte by byte when short; every run must give the same transcript
//      (events with their bytes, frames written, where it closed);
//   2. fed to a connection that answers every request, consumes every body byte and retries
//      sends when windows open; every frame it writes must parse, memory stays within limits;
//   3. decoded as an HPACK block: if it decodes, re-encoding and decoding gives the same
//      fields; and Huffman-coded and decoded, which must give it back;
//   4. read as a backend's trailer section (`HeaderList.appendTrailerSection`): every field
//      kept must be one RFC 9113 allows in trailers, and none one Sluice drops.
// Any broken invariant traps (fatalError), which libFuzzer reports as a crash.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 1 else { return 0 }
    let raw = Array(UnsafeBufferPointer(start: data, count: size))
    let mode = raw[0]
    let selector = raw[size - 1]
    var input = Array(raw[1...])
    if mode & 1 != 0 { input = prefaceAndSettings + input }
    let configuration = mode & 2 != 0 ? small(selector) : HTTP2Configuration()

    let whole = passive(input, cuts: [], configuration: configuration)
    let cuts = cutPoints(count: input.count, selector: selector)
    let split = passive(input, cuts: cuts, configuration: configuration)
    check(split == whole, "split at \(cuts) differs:\n split \(split)\n whole \(whole)")
    if input.count <= 512 {
        let single = passive(input, cuts: Array(1..<input.count), configuration: configuration)
        check(single == whole, "byte by byte differs:\n bytes \(single)\n whole \(whole)")
    }
    reactive(input, configuration: configuration)
    hpack(Array(raw[1...]))
    trailerSection(Array(raw[1...]))
    return 0
}

let prefaceAndSettings: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0]

/// Limits small enough for a fuzzer to reach every bound.
func small(_ selector: UInt8) -> HTTP2Configuration {
    var c = HTTP2Configuration()
    c.maxConcurrentStreams = 1 + Int(selector & 0x07)
    c.maxHeaderListSize = 64 + Int(selector) * 4
    c.maxHeaderBlockSize = 128 + Int(selector) * 8
    c.maxContinuationFrames = 1 + Int(selector >> 5)
    c.headerTableSize = Int(selector) * 2
    c.resetBudget = RateBudget(burst: 2, perSecond: 1)
    c.settingsBudget = RateBudget(burst: 2, perSecond: 1)
    c.pingBudget = RateBudget(burst: 2, perSecond: 1)
    c.emptyFrameBudget = RateBudget(burst: 2, perSecond: 1)
    return c
}

func cutPoints(count: Int, selector: UInt8) -> [Int] {
    let a = Int(selector) * (count + 1) / 256
    return [a, count - a].sorted()
}

@inline(never)
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("HTTP2 fuzz invariant broken: \(message())") }
}

/// Everything a connection did with one input, bytes copied out.
struct Transcript: Equatable {
    var events: [String] = []
    var written: [UInt8] = []
    var consumed = 0
    var closed = false
}

func describe(_ e: HTTP2Connection.Event, _ buf: UnsafeRawBufferPointer) -> String {
    switch e {
    case .request(let s, let r, let end): "request \(s) \(r.list.bytes) \(r.list.fields.count) \(r.contentLength ?? -1) \(end)"
    case .requestHeadersTooLarge(let s, let end): "too-large \(s) \(end)"
    case .data(let s, let range, let end):
        range.lowerBound >= 0 && range.upperBound <= buf.count
            ? "data \(s) \(Array(UnsafeRawBufferPointer(rebasing: buf[range]))) \(end)"
            : "data range \(range) outside \(buf.count)" // differs from any valid run's transcript
    case .trailers(let s, let list): "trailers \(s) \(list.bytes)"
    case .reset(let s, let code): "reset \(s) \(code.rawValue)"
    case .sendWindowOpened(let s): "window \(s)"
    case .peerGoingAway(let last, let code): "goaway \(last) \(code.rawValue)"
    }
}

/// Feeds the pieces the way the I/O shell would (unconsumed bytes passed again with the next
/// read), into buffers of exactly the bytes held so ASan sees any read past them.
func passive(_ input: [UInt8], cuts: [Int], configuration: HTTP2Configuration) -> Transcript {
    var c = HTTP2Connection(configuration: configuration)
    var t = Transcript()
    var pending: [UInt8] = []
    var start = 0
    for end in cuts + [input.count] where end >= start && !t.closed {
        pending += input[start..<end]
        start = end
        let exact = UnsafeMutableRawBufferPointer.allocate(byteCount: pending.count, alignment: 1)
        defer { exact.deallocate() }
        pending.withUnsafeBytes { exact.copyMemory(from: $0) }
        let out = c.receive(UnsafeRawBufferPointer(exact), nowMs: 0)
        check(out.consumed >= 0 && out.consumed <= pending.count, "consumed \(out.consumed) of \(pending.count)")
        for e in out.events { t.events.append(describe(e, UnsafeRawBufferPointer(exact))) }
        checkBounds(c, configuration)
        pending.removeFirst(out.consumed)
        t.consumed += out.consumed
        t.closed = out.close
        check(out.close == c.isClosed, "close flag and state disagree")
    }
    t.written = c.takeOutbound()
    check(t.written.count <= 2 * input.count + 512, "\(t.written.count) bytes written for \(input.count) read")
    checkFrames(t.written)
    return t
}

/// The memory a client can make a connection hold stays within the configured limits.
func checkBounds(_ c: HTTP2Connection, _ configuration: HTTP2Configuration) {
    check(c.openStreams <= configuration.maxConcurrentStreams, "\(c.openStreams) streams open")
    check(c.block.count <= configuration.maxHeaderBlockSize, "header block of \(c.block.count)")
    check(c.fields.bytes.count <= configuration.maxHeaderListSize, "decoded list of \(c.fields.bytes.count)")
    check(c.decoder.table.size <= configuration.headerTableSize, "table of \(c.decoder.table.size)")
}

/// What the connection wrote is a sequence of well-formed frames.
func checkFrames(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { buf in
        let parser = FrameParser(maxFrameSize: FrameLimits.maxMaxFrameSize)
        var at = 0
        while at < buf.count {
            switch parser.next(UnsafeRawBufferPointer(rebasing: buf[at...])) {
            case .frame(_, let consumed): at += consumed
            case .needMore: fatalError("HTTP2 fuzz invariant broken: written bytes end inside a frame")
            case .error(let e, _): fatalError("HTTP2 fuzz invariant broken: wrote a bad frame: \(e)")
            }
        }
    }
}

/// A server that answers every request with a small body, consumes every body byte and
/// retries blocked sends; then lets a minute pass.
func reactive(_ input: [UInt8], configuration: HTTP2Configuration) {
    var c = HTTP2Connection(configuration: configuration)
    let body = [UInt8](repeating: 0x62, count: 100)
    var unsent: [UInt32: Int] = [:]
    let out = input.withUnsafeBytes { c.receive($0, nowMs: 0) }
    for e in out.events {
        switch e {
        case .request(let s, _, _), .requestHeadersTooLarge(let s, _):
            if c.sendHeaders(s, status: 200, fields: HeaderList([("Content-Type", "text/plain"), ("Connection", "close")]), endStream: false) {
                unsent[s] = body.count
            }
        case .data(let s, let range, _):
            _ = c.dataConsumed(s, count: range.count)
        case .sendWindowOpened, .reset, .trailers, .peerGoingAway:
            break
        }
        for (s, n) in unsent {
            let sent = body.withUnsafeBytes { c.sendData(s, UnsafeRawBufferPointer(rebasing: $0[(body.count - n)...]), endStream: true, nowMs: 0) }
            if let sent, sent < n { unsent[s] = n - sent } else { unsent[s] = nil }
        }
        checkBounds(c, configuration)
        checkFrames(c.takeOutbound())
    }
    // A minute later, a stream still without window has outlived the stall timeout.
    _ = c.tick(nowMs: 60_000)
    checkFrames(c.takeOutbound())
    check(c.isClosed || c.streams.values.allSatisfy { $0.blockedSinceMs == nil }, "a stalled stream survived the timeout")
}

/// The input as an HTTP/1.1 trailer section made HTTP/2 trailer fields.
func trailerSection(_ bytes: [UInt8]) {
    var list = HeaderList()
    bytes.withUnsafeBytes { list.appendTrailerSection($0) }
    check(RequestFields.validateTrailers(list, stream: 1) == nil, "trailer fields HTTP/2 refuses: \(list.pairs)")
    for i in 0..<list.count {
        check(!HeaderList.notInTrailers.contains { list.name(i).equals($0) }, "dropped field kept: \(list.pairs[i])")
    }
}

/// The input as one HPACK block and as a string to Huffman-code.
func hpack(_ bytes: [UInt8]) {
    var decoder = HPACKDecoder(maxTableSize: 4096, maxHeaderListSize: 1 << 20)
    var list = HeaderList()
    let error: HPACKError? = bytes.withUnsafeBytes { b in
        do throws(HPACKError) { try decoder.decode(b, into: &list); return nil } catch { return error }
    }
    check(decoder.table.size <= decoder.table.maxSize, "table over its size")
    if error == nil {
        var encoder = HPACKEncoder()
        var block: [UInt8] = []
        encoder.beginBlock(into: &block)
        for i in 0..<list.count { encoder.encode(name: list.name(i), value: list.value(i), into: &block) }
        var again = HeaderList()
        var fresh = HPACKDecoder(maxTableSize: 4096, maxHeaderListSize: 1 << 20)
        let reError: HPACKError? = block.withUnsafeBytes { b in
            do throws(HPACKError) { try fresh.decode(b, into: &again); return nil } catch { return error }
        }
        check(reError == nil, "re-encoded block fails: \(String(describing: reError))")
        check(again.count == list.count, "re-encoded block has \(again.count) fields, not \(list.count)")
        for i in 0..<list.count {
            check(again.name(i).elementsEqual(list.name(i).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }), "name \(i) differs")
            check(again.value(i).elementsEqual(list.value(i)), "value \(i) differs")
        }
    }
    var huffman: [UInt8] = []
    Huffman.encode(bytes, into: &huffman)
    check(huffman.count == Huffman.encodedLength(bytes), "Huffman length")
    var back: [UInt8] = []
    let huffmanError: HPACKError? = huffman.withUnsafeBytes { b in
        do throws(HPACKError) { try Huffman.decode(b) { back.append($0) }; return nil } catch { return error }
    }
    check(huffmanError == nil && back == bytes, "Huffman round trip")
}
