import Testing
import Traffic
@testable import HTTP2

/// Feeds `bytes` to `connection` in one read and returns the events described.
func feed(_ connection: inout HTTP2Connection, _ bytes: [UInt8], nowMs: Int = 0) -> (events: [String], out: HTTP2Connection.Output) {
    let out = bytes.withUnsafeBytes { connection.receive($0, nowMs: nowMs) }
    #expect(out.consumed == bytes.count || out.close)
    return (out.events.map { describe($0, bytes) }, out)
}

/// The header blocks the server wrote, decoded as a client would (HEADERS + CONTINUATION).
func responseBlocks(_ written: [Written], decoder: inout HPACKDecoder) -> [(stream: UInt32, fields: [String], endStream: Bool)] {
    var result: [(UInt32, [String], Bool)] = []
    var block: [UInt8] = []
    var end = false
    for f in written where f.type == FrameType.headers || f.type == FrameType.continuation {
        if f.type == FrameType.headers { block = []; end = f.flags & FrameFlags.endStream != 0 }
        block += f.payload
        if f.flags & FrameFlags.endHeaders != 0 {
            var list = HeaderList()
            #expect(hpackDecode(&decoder, block, into: &list) == nil)
            result.append((f.stream, list.pairs.map { "\($0.0)=\($0.1)" }, end))
        }
    }
    return result
}

/// Keeps payloads sent without a copy in tests (the bytes stay in the test's array).
final class Owner: PayloadOwner {
    var pendingPayloads = 0
}

/// `sendData` with an array.
func send(_ c: inout HTTP2Connection, _ s: UInt32, _ bytes: ArraySlice<UInt8>, endStream: Bool, nowMs: Int = 0) -> Int? {
    bytes.withUnsafeBytes { c.sendData(s, $0, endStream: endStream, nowMs: nowMs) }
}

struct ExchangeTests {
    @Test func serverPrefaceComesFirst() {
        let c = HTTP2Connection()
        let w = frames(c.outbound)
        #expect(w.count == 2)
        #expect(w[0].type == FrameType.settings && w[0].payload.count == 24)
        #expect(w[1].type == FrameType.windowUpdate && w[1].stream == 0 && FrameParser.readUInt32Array(w[1].payload, 0) == (1 << 20) - 65_535)
    }

    @Test func getAndResponse() throws {
        var client = Client.started()
        client.headers(1, get + [("accept", "*/*"), ("cookie", "a=1"), ("cookie", "b=2")])
        var c = HTTP2Connection()
        _ = c.takeOutbound()
        let (events, _) = feed(&c, client.bytes)
        #expect(events == ["request 1 :method=GET :scheme=https :path=/ :authority=example.com accept=*/* cookie=a=1 cookie=b=2 END"])
        let settingsAck = frames(c.takeOutbound())
        #expect(settingsAck.map(\.type) == [FrameType.settings] && settingsAck[0].flags == FrameFlags.ack)
        #expect(c.openStreams == 1)

        let headSent = c.sendHeaders(1, status: 200, fields: HeaderList([("Content-Type", "text/plain"), ("Connection", "keep-alive"),
                                                                   ("Transfer-Encoding", "chunked"), ("X-Id", "7")]), endStream: false)
        #expect(headSent)
        let body = Array("hello".utf8)
        #expect(send(&c, 1, body[...], endStream: true) == 5)
        #expect(c.openStreams == 0)
        let w = frames(c.takeOutbound())
        var decoder = HPACKDecoder()
        let blocks = responseBlocks(w, decoder: &decoder)
        #expect(blocks.count == 1)
        #expect(blocks[0].fields == [":status=200", "content-type=text/plain", "x-id=7"])
        #expect(w.last == Written(type: FrameType.data, flags: FrameFlags.endStream, stream: 1, payload: body))
        // Sending on a finished stream does nothing.
        let sentAgain = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: true)
        #expect(!sentAgain)
        #expect(send(&c, 1, body[...], endStream: true) == nil)
    }

    @Test func responseTrailersEndTheStreamAfterTheData() {
        var client = Client.started()
        client.headers(1, get + [("te", "trailers")])
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        _ = c.takeOutbound()
        let early = c.sendTrailers(1, fields: HeaderList([("x-early", "1")]))
        #expect(!early, "no trailers before the head")
        let headSent = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
        #expect(headSent)
        let body = Array("hello".utf8)
        #expect(send(&c, 1, body[...], endStream: false) == 5)
        var trailers = HeaderList()
        Array("Grpc-Status: 0\r\nContent-Length: 5\r\nX-Sum: abc\r\n".utf8).withUnsafeBytes { trailers.appendTrailerSection($0) }
        let trailersSent = c.sendTrailers(1, fields: trailers)
        #expect(trailersSent)
        #expect(c.openStreams == 0)
        let w = frames(c.takeOutbound())
        #expect(w.map(\.type) == [FrameType.headers, FrameType.data, FrameType.headers])
        #expect(w[1] == Written(type: FrameType.data, flags: 0, stream: 1, payload: body))
        #expect(w[2].flags == FrameFlags.endStream | FrameFlags.endHeaders)
        var decoder = HPACKDecoder()
        let blocks = responseBlocks(w, decoder: &decoder)
        #expect(blocks.map(\.fields) == [[":status=200"], ["grpc-status=0", "x-sum=abc"]])
        let sentAgain = c.sendTrailers(1, fields: trailers)
        #expect(!sentAgain, "the stream is closed")
    }

    @Test func postWithBodyAndTrailers() {
        var client = Client.started()
        client.headers(1, post(length: 7) + [("te", "trailers")], endStream: false)
        client.data(1, Array("abc".utf8))
        client.frame(type: FrameType.data, flags: FrameFlags.padded, stream: 1, [2] + Array("defg".utf8) + [0, 0])
        client.headers(1, [("x-checksum", "42")])
        let t = expectSplitInvariant(client.bytes)
        #expect(t.events == [
            "request 1 :method=POST :scheme=https :path=/upload :authority=example.com content-length=7 te=trailers",
            "data 1 abc", "data 1 defg", "trailers 1 x-checksum=42",
        ])
        #expect(!t.closed)
    }

    @Test func manyStreamsInterleavedAtEverySplit() {
        var client = Client.started()
        client.settings([Setting(Setting.initialWindowSize, 1 << 20), Setting(Setting.maxFrameSize, 1 << 16), Setting(Setting.headerTableSize, 0)])
        client.headers(1, post(), endStream: false)
        let b = client.block(get + [("x-n", "3")])
        client.rawHeaders(3, Array(b[..<3]), endHeaders: false)
        client.continuation(3, Array(b[3..<5]), endHeaders: false)
        client.continuation(3, Array(b[5...]))
        client.data(1, Array("one".utf8))
        client.ping(7)
        client.headers(5, post(length: 2), endStream: false)
        client.windowUpdate(0, 1000)
        client.data(5, Array("hi".utf8), endStream: true)
        client.rst(1)
        client.frame(type: 0x20, stream: 9, [1, 2, 3])
        client.headers(7, get)
        let t = expectSplitInvariant(client.bytes)
        #expect(t.events == [
            "request 1 :method=POST :scheme=https :path=/upload :authority=example.com",
            "request 3 :method=GET :scheme=https :path=/ :authority=example.com x-n=3 END",
            "data 1 one",
            "request 5 :method=POST :scheme=https :path=/upload :authority=example.com content-length=2",
            "window 0",
            "data 5 hi END",
            "reset 1 CANCEL",
            "request 7 :method=GET :scheme=https :path=/ :authority=example.com END",
        ])
        #expect(t.answers.map(\.type) == [FrameType.settings, FrameType.settings, FrameType.ping])
        #expect(t.answers[2].flags == FrameFlags.ack && t.answers[2].payload == [0, 0, 0, 0, 0, 0, 0, 7])
    }

    @Test func responseToAClientWithoutDynamicTableAndLargeFrames() {
        var client = Client.started()
        client.settings([Setting(Setting.headerTableSize, 0), Setting(Setting.maxFrameSize, 20_000)])
        client.headers(1, get)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        _ = c.takeOutbound()
        let long = String(repeating: "v", count: 30_000)
        let headSent = c.sendHeaders(1, status: 404, fields: HeaderList([("x-long", long), ("x-again", "a")]), endStream: true)
        #expect(headSent)
        let w = frames(c.takeOutbound())
        #expect(w.map(\.type) == [FrameType.headers, FrameType.continuation])
        #expect(w.allSatisfy { $0.payload.count <= 20_000 })
        var decoder = HPACKDecoder(maxTableSize: 0, maxHeaderListSize: 1 << 20)
        let blocks = responseBlocks(w, decoder: &decoder)
        let expected = [":status=404", "x-long=\(long)", "x-again=a"]
        #expect(blocks.first?.fields == expected, "fields differ")
        #expect(blocks.first?.endStream == true)
    }
}

struct FlowControlTests {
    @Test func requestBodyWindowOpensOnlyAsBytesAreConsumed() {
        var client = Client.started()
        client.headers(1, post(), endStream: false)
        for _ in 0..<4 { client.data(1, [UInt8](repeating: 0x61, count: 16_000)) }
        var c = HTTP2Connection()
        _ = c.takeOutbound()
        let (events, _) = feed(&c, client.bytes)
        #expect(events.count == 5)
        #expect(frames(c.takeOutbound()).filter { $0.type == FrameType.windowUpdate }.isEmpty)
        // 64,000 of 65,535 used; 2,000 more overflow the stream window.
        var more = Client(bytes: [])
        more.data(1, [UInt8](repeating: 0x61, count: 2_000))
        var probe = c
        _ = feed(&probe, more.bytes)
        #expect(frames(probe.takeOutbound()).first?.code == .flowControlError)
        // Once 40,000 bytes are passed on, the stream's window opens by them (over half a window).
        _ = c.dataConsumed(1, count: 16_000)
        #expect(frames(c.takeOutbound()).isEmpty)
        _ = c.dataConsumed(1, count: 24_000)
        let w = frames(c.takeOutbound())
        #expect(w == [Written(type: FrameType.windowUpdate, flags: 0, stream: 1, payload: be32(40_000))])
        let (after, _) = feed(&c, more.bytes)
        #expect(after == ["data 1 \(String(repeating: "a", count: 2_000))"])
    }

    @Test func connectionWindowBoundsAllStreams() {
        var client = Client.started()
        for s in stride(from: UInt32(1), through: 33, by: 2) {
            client.headers(s, post(), endStream: false)
            for _ in 0..<4 { client.data(s, [UInt8](repeating: 0x62, count: 16_000)) }
        }
        let (t, _) = run(client.bytes)
        // 16 streams x 64,000 fit in the 1 MiB connection window; the 17th does not.
        #expect(t.events.filter { $0.hasPrefix("data") }.count == 16 * 4 + 1)
        #expect(t.goaway == .flowControlError && t.closed)
    }

    @Test func bytesOfResetStreamsGoBackToTheConnectionWindow() {
        var client = Client.started()
        for s in stride(from: UInt32(1), through: 63, by: 2) {
            client.headers(s, post(), endStream: false)
            for _ in 0..<4 { client.data(s, [UInt8](repeating: 0x62, count: 16_000)) }
            client.rst(s)
        }
        let (t, _) = run(client.bytes)
        #expect(t.goaway == nil && !t.closed)
        #expect(t.answers.contains { $0.type == FrameType.windowUpdate && $0.stream == 0 })
    }

    @Test func responseBodyWaitsForTheClientsWindow() {
        var client = Client.started()
        client.settings([Setting(Setting.initialWindowSize, 10)])
        client.headers(1, get)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        #expect(c.sendWindow(1) == 0) // no head sent yet: no body either
        let headSent = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
        #expect(headSent)
        #expect(c.sendWindow(1) == 10 && c.sendWindow(3) == 0)
        _ = c.takeOutbound()
        let body = [UInt8](repeating: 0x7A, count: 25)
        #expect(send(&c, 1, body[...], endStream: true) == 10)
        #expect(c.sendWindow(1) == 0)
        #expect(send(&c, 1, body[10...], endStream: true) == 0)
        var update = Client(bytes: [])
        update.windowUpdate(1, 100)
        let (events, _) = feed(&c, update.bytes)
        #expect(events == ["window 1"])
        #expect(c.sendWindow(1) == 100)
        #expect(send(&c, 1, body[10...], endStream: true) == 15)
        #expect(c.sendWindow(1) == 0) // the stream is closed
        let w = frames(c.takeOutbound())
        #expect(w.map(\.payload.count) == [10, 15])
        #expect(w.map(\.flags) == [0, FrameFlags.endStream])
        #expect(c.openStreams == 0)
    }

    @Test func dataFramesFollowTheClientsMaxFrameSize() {
        var client = Client.started()
        client.headers(1, get)
        client.windowUpdate(0, 200_000)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        let headSent = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
        #expect(headSent)
        _ = c.takeOutbound()
        let body = [UInt8](repeating: 1, count: 40_000)
        #expect(send(&c, 1, body[...], endStream: false) == 40_000)
        #expect(frames(c.takeOutbound()).map(\.payload.count) == [16_384, 16_384, 7_232])
    }
}

struct InterimResponseTests {
    @Test func continueThenFinalResponse() {
        var client = Client.started()
        client.headers(1, post(length: 2) + [("expect", "100-continue")], endStream: false)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        _ = c.takeOutbound()
        let interim = c.sendHeaders(1, status: 100, fields: HeaderList(), endStream: false)
        let final = c.sendHeaders(1, status: 201, fields: HeaderList(), endStream: true)
        let again = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: true)
        #expect(interim && final && !again)
        var decoder = HPACKDecoder()
        let blocks = responseBlocks(frames(c.takeOutbound()), decoder: &decoder)
        #expect(blocks.map(\.fields) == [[":status=100"], [":status=201"]])
        #expect(blocks.map(\.endStream) == [false, true])
    }
}

/// Seeded random inputs: well-formed client byte streams with bytes flipped, fed whole and
/// cut at random points, must give the same transcript (the CI-sized cousin of
/// fuzz/HTTP2Fuzz.swift).
struct SeededFuzzTests {
    @Test func mutatedInputsAreSplitInvariant() {
        var rng = SeededGenerator(seed: 0x5EED)
        var base = Client.started()
        base.headers(1, post(length: 6) + [("te", "trailers")], endStream: false)
        base.data(1, Array("abc".utf8))
        base.ping()
        base.headers(3, get)
        base.data(1, Array("def".utf8))
        base.headers(1, [("x-t", "1")])
        base.windowUpdate(0, 10)
        base.rst(3)
        for round in 0..<300 {
            var input = base.bytes
            for _ in 0..<Int(rng.next() % 4) + 1 {
                input[24 + Int(rng.next() % UInt64(input.count - 24))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let (whole, _) = run(input)
            let cuts = [Int(rng.next() % UInt64(input.count)), Int(rng.next() % UInt64(input.count))].sorted()
            let (split, _) = run(input, cuts: cuts)
            #expect(split == whole, "round \(round) cut at \(cuts)")
        }
    }
}

struct OutboundTests {
    @Test func swappingHandsOverTheFramesAndEmptiesTheBuffersGiven() {
        var c = HTTP2Connection()
        let preface = c.outbound
        var bytes: [UInt8] = [1, 2, 3]
        var splices: [Splice] = []
        c.swapOutbound(&bytes, &splices)
        #expect(bytes == preface && splices.isEmpty)
        #expect(c.outbound.isEmpty && c.outboundCount == 0)
    }

    /// A payload sent with an owner is left out of `outbound`, one splice per frame, and goes
    /// on the wire exactly as a copied one: the same frames, the same bytes.
    @Test func dataWithAnOwnerIsFramedAsWithoutButNotCopied() {
        var client = Client.started()
        client.headers(1, get)
        let body = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let owner = Owner()
        var expected: [UInt8] = []
        var sent: [UInt8] = []
        for withOwner in [false, true] {
            var c = HTTP2Connection()
            _ = feed(&c, client.bytes)
            _ = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
            _ = c.takeOutbound()
            let n = body.withUnsafeBytes { c.sendData(1, $0, endStream: true, nowMs: 0, owner: withOwner ? owner : nil) }
            #expect(n == body.count)
            #expect(c.outboundCount == body.count + 3 * 9)
            if withOwner {
                #expect(c.outboundSplices.map(\.bytes.count) == [16_384, 16_384, 7_232])
                #expect(c.outbound.count == 3 * 9 && owner.pendingPayloads == 3)
                sent = body.withUnsafeBytes { _ in c.takeOutbound() }
                #expect(owner.pendingPayloads == 0)
            } else {
                #expect(c.outboundSplices.isEmpty)
                expected = c.takeOutbound()
            }
        }
        #expect(sent == expected)
        let w = frames(sent)
        #expect(w.map(\.payload.count) == [16_384, 16_384, 7_232] && w.last?.flags == FrameFlags.endStream)
    }

    @Test func anInvalidStatusIsRefused() {
        var client = Client.started()
        client.headers(1, get)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        let tooLow = c.sendHeaders(1, status: 99, fields: HeaderList(), endStream: true)
        let tooHigh = c.sendHeaders(1, status: 1000, fields: HeaderList(), endStream: true)
        let fine = c.sendHeaders(1, status: 503, fields: HeaderList(), endStream: true)
        #expect(!tooLow && !tooHigh && fine)
    }
}
