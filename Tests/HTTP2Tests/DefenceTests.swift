import Testing
@testable import HTTP2

/// The known HTTP/2 attacks each end in GOAWAY with the work and memory they cause bounded;
/// graceful shutdown drains.
struct DefenceTests {
    @Test func rapidResetEndsInGoawayLongBeforeTheAttackEnds() {
        // CVE-2023-44487: open and cancel 5,000 streams at once.
        var client = Client.started()
        for i in 0..<5_000 {
            let s = UInt32(2 * i + 1)
            client.headers(s, get, endStream: false)
            client.rst(s)
        }
        let (t, c) = run(client.bytes)
        let requests = t.events.filter { $0.hasPrefix("request") }.count
        #expect(t.goaway == .enhanceYourCalm && t.closed)
        #expect(requests == 201) // the reset budget's burst, and the stream whose reset found it spent
        #expect(c.openStreams == 0)
    }

    @Test func resetBudgetRefillsWithTime() {
        // 150 resets a second for 3 seconds: within a 200 burst + 100/s refill only at first.
        var c = HTTP2Connection()
        _ = feed(&c, Client.started().bytes)
        var sid: UInt32 = 1
        var closedAt: Int?
        for second in 0..<4 where closedAt == nil {
            var client = Client(bytes: [])
            for _ in 0..<150 { client.headers(sid, get, endStream: false); client.rst(sid); sid += 2 }
            if feed(&c, client.bytes, nowMs: second * 1000).out.close { closedAt = second }
        }
        #expect(closedAt == 2) // 200 + 2 x 100 tokens by then; 450 resets spent them
        // A well-behaved client cancelling 50 a second is never cut off.
        var calm = HTTP2Connection()
        _ = feed(&calm, Client.started().bytes)
        sid = 1
        for second in 0..<20 {
            var client = Client(bytes: [])
            for _ in 0..<50 { client.headers(sid, get, endStream: false); client.rst(sid); sid += 2 }
            #expect(!feed(&calm, client.bytes, nowMs: second * 1000).out.close)
        }
    }

    @Test func refusedStreamsCountAsResets() {
        var client = Client.started()
        for i in 0..<2_000 { client.headers(UInt32(2 * i + 1), get, endStream: false) }
        let (t, _) = run(client.bytes)
        #expect(t.events.count == 100)
        #expect(t.answers.filter { $0.type == FrameType.rstStream && $0.code == .refusedStream }.count == 200)
        #expect(t.goaway == .enhanceYourCalm)
    }

    @Test func continuationFloodIsCutOff() {
        // CVE-2024-27316: a header block that never ends, in one-byte CONTINUATION frames.
        var client = Client.started()
        client.rawHeaders(1, [0x82], endStream: true, endHeaders: false)
        for _ in 0..<10_000 { client.continuation(1, [0x40], endHeaders: false) }
        let (t, c) = run(client.bytes)
        #expect(t.goaway == .enhanceYourCalm && t.closed)
        #expect(c.block.count <= 64)
        // And in large frames: the block stops at 64 KiB.
        var big = Client.started()
        big.rawHeaders(1, [UInt8](repeating: 0x82, count: 16_000), endHeaders: false)
        for _ in 0..<10 { big.continuation(1, [UInt8](repeating: 0x82, count: 16_000), endHeaders: false) }
        let (t2, c2) = run(big.bytes)
        #expect(t2.goaway == .enhanceYourCalm)
        #expect(c2.block.count <= 64 * 1024)
    }

    @Test func emptyFrameFloodsAreCutOff() {
        for kind in ["data", "continuation", "unknown"] {
            var client = Client.started()
            client.headers(1, post(), endStream: false)
            if kind == "continuation" { client.rawHeaders(3, [], endStream: true, endHeaders: false) }
            for _ in 0..<1_000 {
                switch kind {
                case "data": client.data(1, [])
                case "continuation": client.continuation(3, [], endHeaders: false)
                default: client.frame(type: 0x30, stream: 0, [])
                }
            }
            let (t, _) = run(client.bytes)
            #expect(t.goaway == .enhanceYourCalm, "\(kind)")
        }
    }

    @Test func settingsAndPingFloodsAreCutOffWithBoundedOutput() {
        for ping in [false, true] {
            var client = Client.started()
            for i in 0..<100_000 { if ping { client.ping(UInt64(i)) } else { client.settings([Setting(Setting.maxFrameSize, 16_384)]) } }
            let (t, _) = run(client.bytes)
            #expect(t.goaway == .enhanceYourCalm, "ping \(ping)")
            #expect(t.written.count < 40, "ping \(ping)")
        }
        // A PING a second for a minute is fine.
        var c = HTTP2Connection()
        _ = feed(&c, Client.started().bytes)
        for second in 0..<60 {
            var client = Client(bytes: [])
            client.ping(UInt64(second))
            #expect(!feed(&c, client.bytes, nowMs: second * 1000).out.close)
        }
    }

    @Test func hpackBombIsAnsweredWithoutExpanding() {
        // One 4 KiB entry in the table, then a request naming it thousands of times.
        var client = Client.started()
        var block = [UInt8]()
        var enc = HPACKEncoder()
        enc.beginBlock(into: &block)
        for (n, v) in get { enc.encode(name: Array(n.utf8), value: Array(v.utf8), into: &block) }
        block += [0x40, 0x01, 0x78]
        HPACKInteger.encode(4000, prefixBits: 7, flags: 0, into: &block)
        block += [UInt8](repeating: 0x61, count: 4000)
        client.rawHeaders(1, block)
        client.rawHeaders(3, [0x82, 0x87, 0x84] + [UInt8](repeating: 0xBE, count: 16_000))
        client.headers(5, get)
        let (t, c) = run(client.bytes)
        #expect(t.events.count == 3)
        #expect(t.events[1] == "too-large 3 END")
        #expect(t.events[2].hasPrefix("request 5"))
        #expect(c.fields.bytes.count <= 32 * 1024)
        #expect(!t.closed)
    }

    @Test func zeroWindowStallEndsTheConnection() {
        var client = Client.started()
        client.settings([Setting(Setting.initialWindowSize, 0)])
        client.headers(1, get)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        let sent1 = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
        #expect(sent1)
        #expect(send(&c, 1, [1, 2, 3][...], endStream: true, nowMs: 1_000) == 0)
        #expect(!c.tick(nowMs: 30_999).close)
        // Progress (a window of 1 byte) restarts the clock.
        var one = Client(bytes: [])
        one.windowUpdate(1, 1)
        _ = feed(&c, one.bytes, nowMs: 20_000)
        #expect(send(&c, 1, [1, 2, 3][...], endStream: true, nowMs: 20_000) == 1)
        #expect(!c.tick(nowMs: 49_999).close)
        let out = c.tick(nowMs: 50_000)
        #expect(out.close)
        #expect(frames(c.takeOutbound()).last?.code == .enhanceYourCalm)
    }

    @Test func aStreamWaitingForWindowBeforeItsBodyArrivedStallsToo() {
        var client = Client.started()
        client.settings([Setting(Setting.initialWindowSize, 0)])
        client.headers(1, get)
        client.headers(3, get)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        let sent1 = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
        let sent3 = c.sendHeaders(3, status: 200, fields: HeaderList(), endStream: false)
        #expect(sent1 && sent3)
        // Both have a body coming and no window; stream 3 then gets a window (its backend is
        // slow to send): only stream 1's wait counts.
        c.waitingForWindow(1, nowMs: 1_000)
        c.waitingForWindow(3, nowMs: 1_000)
        c.waitingForWindow(1, nowMs: 5_000) // a wait already counting keeps its start
        var open3 = Client(bytes: [])
        open3.windowUpdate(3, 100)
        _ = feed(&c, open3.bytes, nowMs: 2_000)
        #expect(!c.tick(nowMs: 30_999).close)
        var open1 = Client(bytes: [])
        open1.windowUpdate(1, 100)
        _ = feed(&c, open1.bytes, nowMs: 30_999)
        #expect(!c.tick(nowMs: 60_000).close)
        #expect(send(&c, 1, Array(repeating: 7, count: 150)[...], endStream: true, nowMs: 60_000) == 100)
        #expect(!c.tick(nowMs: 89_999).close)
        let out = c.tick(nowMs: 90_000)
        #expect(out.close)
        #expect(frames(c.takeOutbound()).last?.code == .enhanceYourCalm)
    }

    @Test func gracefulShutdownFinishesOpenStreamsOnly() {
        var client = Client.started()
        client.headers(1, get)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        _ = c.takeOutbound()
        #expect(!c.shutdown().close)
        var late = Client(bytes: [])
        late.encoder = client.encoder
        late.headers(3, post(), endStream: false)
        late.data(3, Array("ignored".utf8), endStream: true)
        late.headers(5, get)
        let (events, out) = feed(&c, late.bytes)
        #expect(events.isEmpty && !out.close)
        #expect(c.openStreams == 1)
        let sent = c.sendHeaders(1, status: 204, fields: HeaderList(), endStream: true)
        #expect(sent && c.isClosed)
        let w = frames(c.takeOutbound())
        #expect(w.first?.type == FrameType.goaway && w.first?.code == .noError)
        #expect(w.first.map { FrameParser.readUInt32Array($0.payload, 0) } == 1)
        #expect(w.last?.type == FrameType.headers)
    }

    @Test func peerGoawayClosesOnceStreamsFinish() {
        var client = Client.started()
        client.headers(1, get)
        client.frame(type: FrameType.goaway, stream: 0, be32(0) + be32(0))
        var c = HTTP2Connection()
        let (events, out) = feed(&c, client.bytes)
        #expect(events.last == "goaway 0 NO_ERROR")
        #expect(!out.close)
        let r = c.resetStream(1, code: .cancel)
        #expect(r.close)
    }

    @Test func oneBadStreamDoesNotHurtTheOthers() {
        var client = Client.started()
        client.headers(1, get, endStream: false)
        client.headers(3, get + [("connection", "close")])
        client.data(1, Array("ok".utf8), endStream: true)
        let t = expectSplitInvariant(client.bytes)
        #expect(t.rst(3) == .protocolError)
        #expect(t.events.last == "data 1 ok END")
    }
}

/// Inputs the fuzzer found (fuzz/HTTP2Fuzz.swift), kept as regressions.
struct FuzzRegressionTests {
    @Test func aSingleHeadersFrameIsHeldToTheBlockLimitToo() {
        // Was: only CONTINUATION frames were checked against maxHeaderBlockSize.
        var configuration = HTTP2Configuration()
        configuration.maxHeaderBlockSize = 100
        var client = Client.started()
        client.rawHeaders(1, ConformanceTests.raw([(":method", "GET"), (":scheme", "https"), (":path", "/"),
                                                   (":authority", "a"), ("x-pad", String(repeating: "p", count: 100))]))
        let t = expectSplitInvariant(client.bytes, configuration: configuration)
        #expect(t.goaway == .enhanceYourCalm)
    }

    @Test func peerGoawayOnAnIdleConnectionClosesAtOnceWhereverTheReadIsCut() {
        // Was: the connection closed at the end of the read holding the GOAWAY, so frames
        // after it in the same read were handled only when the read was not cut after it.
        var client = Client.started()
        client.headers(1, get, endStream: true)
        client.rst(1)
        client.frame(type: FrameType.goaway, stream: 0, be32(1) + be32(0))
        client.headers(3, get + [("x-after", "goaway")])
        let t = expectSplitInvariant(client.bytes)
        #expect(t.closed)
        #expect(t.events.last == "goaway 1 NO_ERROR")
    }
}
