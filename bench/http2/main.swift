// http2-bench: CPU cost of the pure HTTP/2 layer (Sources/HTTP2) alone, with no sockets: a
// client's bytes are made once, then fed to connections that answer every request.
// Usage: swift run -c release http2-bench [--requests N]
// Prints CPU nanoseconds per request for browser-like GETs (10 fields, HPACK with the dynamic
// table) answered with a 2-byte body, and answered with a 64 KiB body (the client opening the
// connection window as it goes). Each connection takes 100 requests (the concurrency limit).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HTTP2

let requests: Int = {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--requests"), i + 1 < args.count, let n = Int(args[i + 1]), n > 0 { return n }
    return 200_000
}()

/// Frames a client sends: the preface and SETTINGS, then `count` GETs on streams 1, 3, ...,
/// with a connection WINDOW_UPDATE after every batch when `windowPerRequest` > 0.
func clientBytes(count: Int, windowPerRequest: Int) -> [UInt8] {
    var out = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    FrameWriter.settings(&out, [Setting(Setting.initialWindowSize, UInt32(windowPerRequest > 0 ? windowPerRequest : 65_535)),
                                Setting(Setting.maxFrameSize, 1 << 16)])
    var encoder = HPACKEncoder()
    let fields: [(String, String)] = [
        (":method", "GET"), (":scheme", "https"), (":authority", "shop.example.com"), (":path", "/api/items?page=2"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        ("accept", "application/json"), ("accept-language", "en-US,en;q=0.5"), ("accept-encoding", "gzip, deflate, br"),
        ("cookie", "session=3f2a9c1e7b; theme=dark"), ("x-request-id", "0"),
    ]
    for i in 0..<count {
        var block: [UInt8] = []
        encoder.beginBlock(into: &block)
        for (n, v) in fields.dropLast() { encoder.encode(name: Array(n.utf8), value: Array(v.utf8), into: &block) }
        encoder.encode(name: Array("x-request-id".utf8), value: Array(String(i).utf8), into: &block)
        FrameWriter.headers(&out, stream: UInt32(2 * i + 1), block: block, endStream: true, maxFrameSize: 16_384)
        if windowPerRequest > 0 { FrameWriter.windowUpdate(&out, stream: 0, increment: windowPerRequest) }
    }
    return out
}

/// Feeds `input` in 16 KiB reads to a new connection, answering each request with `body`;
/// returns the bytes written.
func serve(_ input: [UInt8], body: [UInt8]) -> Int {
    var connection = HTTP2Connection()
    var written = connection.takeOutbound().count
    let responseFields = HeaderList([("content-type", "application/json"), ("cache-control", "no-store"), ("x-served-by", "blue")])
    var pending: [UInt8] = []
    var at = 0
    while at < input.count {
        let end = min(at + 16_384, input.count)
        pending += input[at..<end]
        at = end
        let out = pending.withUnsafeBytes { connection.receive($0, nowMs: 0) }
        for event in out.events {
            if case .request(let s, _, _) = event {
                _ = connection.sendHeaders(s, status: 200, fields: responseFields, endStream: false)
                _ = body.withUnsafeBytes { connection.sendData(s, $0, endStream: true, nowMs: 0) }
            }
        }
        pending.removeFirst(out.consumed)
        written += connection.takeOutbound().count
    }
    return written
}

func cpuNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func measure(_ name: String, _ count: Int, _ body: () -> Int) {
    _ = body() // warm up
    var best = UInt64.max
    var result = 0
    for _ in 0..<5 {
        let start = cpuNanoseconds()
        result = body()
        best = min(best, cpuNanoseconds() - start)
    }
    print("\(name): \(best / UInt64(count)) ns per request (best of 5, CPU time; \(result) bytes out)")
}

// 100 streams at a time (the concurrency limit): each batch ends before the next is sent.
let batch = 100
let small = clientBytes(count: batch, windowPerRequest: 0)
let large = clientBytes(count: batch, windowPerRequest: 65_536)
let rounds = max(1, requests / batch)
measure("GET, 2-byte body", rounds * batch) { (0..<rounds).reduce(0) { acc, _ in acc + serve(small, body: Array("{}".utf8)) } }
measure("GET, 64 KiB body", rounds * batch / 10) { (0..<rounds / 10).reduce(0) { acc, _ in acc + serve(large, body: [UInt8](repeating: 0x61, count: 65_536)) } }
