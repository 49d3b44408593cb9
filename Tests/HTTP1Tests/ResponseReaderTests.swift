import HTTP1
import Testing

struct ResponseReaderTests {
    /// Reads `raw` split at `split`; the outcome, the body and the bytes used.
    private func read(_ raw: String, split: Int, requestWasHead: Bool = false) -> (ResponseReader, ResponseReader.Progress, String, Int) {
        let bytes = Array(raw.utf8)
        var reader = ResponseReader(requestWasHead: requestWasHead)
        var body: [UInt8] = []
        var used = 0
        var progress = ResponseReader.Progress.needMore
        for piece in [Array(bytes[..<split]), Array(bytes[split...])] where progress == .needMore {
            let (consumed, p) = piece.withUnsafeBytes { reader.read($0, body: &body) }
            used += consumed
            progress = p
        }
        return (reader, progress, String(decoding: body, as: UTF8.self), used)
    }

    @Test func aContentLengthResponseEndsAtItsLengthWhereverItIsSplit() {
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        let next = "HTTP/1.1 200 OK\r\n"
        for split in 0...(response.utf8.count + next.utf8.count) {
            let (reader, progress, body, used) = read(response + next, split: split)
            #expect(progress == .complete && body == "hello" && used == response.utf8.count, "split \(split)")
            #expect(reader.status == 200 && reader.keepAlive)
        }
    }

    @Test func aChunkedResponseWithTrailersEndsAtTheEmptyLine() {
        let response = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nGrpc-Trailer-Content-Type: application/grpc\r\n\r\n"
        for split in 0...response.utf8.count {
            let (reader, progress, body, used) = read(response, split: split)
            #expect(progress == .complete && body == "abcde" && used == response.utf8.count && reader.status == 404, "split \(split)")
        }
    }

    @Test func aResponseWithoutLengthEndsWithTheConnection() {
        var (reader, progress, body, _) = read("HTTP/1.1 200 OK\r\n\r\nab", split: 5)
        #expect(progress == .needMore && body == "ab" && !reader.keepAlive)
        #expect(reader.endOfInput() == .complete)
        var (short, _, _, _) = read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", split: 3)
        #expect(short.endOfInput() == .failed("connection closed before the response was complete"))
    }

    @Test func noBodyFor204OrHead() {
        #expect(read("HTTP/1.1 204 No Content\r\n\r\n", split: 0).1 == .complete)
        #expect(read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", split: 0, requestWasHead: true).1 == .complete)
    }

    @Test func connectionCloseAndBadFramingAreReported() {
        let (reader, progress, _, _) = read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", split: 7)
        #expect(progress == .complete && !reader.keepAlive)
        #expect(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", split: 0).1 == .failed("bad chunked framing"))
        if case .failed = read("SMTP ready\r\n\r\n", split: 3).1 {} else { Issue.record("a non-HTTP answer was accepted") }
    }
}
