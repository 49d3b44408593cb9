import HTTP1
import Testing
@testable import HTTP2

/// `RequestFields.appendHTTP1Head`: the HTTP/1.1 head a stream's backend gets, read back by
/// the HTTP/1.1 parser the proxy runs on it.
struct HTTP1HeadTests {
    /// The head for `pairs` as text, and what the HTTP/1.1 reader makes of it.
    func head(_ pairs: [(String, String)], endStream: Bool = true) -> (text: String, step: MessageReader.Step, reader: MessageReader) {
        guard case .success(let fields) = RequestFields.validate(HeaderList(pairs), stream: 1) else {
            Issue.record("fields refused")
            return ("", .needMore, MessageReader(isRequest: true))
        }
        var buffer = ByteBuffer()
        fields.appendHTTP1Head(into: &buffer, endStream: endStream)
        var reader = MessageReader(isRequest: true)
        let step = reader.read(buffer.readable, eof: false, limits: Limits())
        return (String(decoding: buffer.readable, as: UTF8.self), step, reader)
    }

    let get = [(":method", "GET"), (":scheme", "https"), (":authority", "example.test:8443"), (":path", "/a/b?q=1")]

    @Test func requestLineHostAndFieldsInOrder() {
        let (text, step, reader) = head(get + [("accept", "*/*"), ("x-b", "2")])
        #expect(text == "GET /a/b?q=1 HTTP/1.1\r\nhost: example.test:8443\r\naccept: */*\r\nx-b: 2\r\n\r\n")
        guard case .head(let end) = step else { Issue.record("not a head: \(step)"); return }
        #expect(end == text.utf8.count)
        #expect(reader.request.bodyFraming == .none && reader.request.keepAlive)
    }

    @Test func hostFieldWithoutAuthorityIsTheHostOnce() {
        let (text, _, _) = head([(":method", "GET"), (":scheme", "http"), (":path", "/"), ("host", "h.test"), ("x", "1")])
        #expect(text == "GET / HTTP/1.1\r\nhost: h.test\r\nx: 1\r\n\r\n")
    }

    @Test func cookieFieldsAreJoinedIntoOne() {
        let (text, step, _) = head(get + [("cookie", "a=1"), ("x", "y"), ("cookie", "b=2"), ("cookie", "c=3")])
        #expect(text.hasSuffix("x: y\r\ncookie: a=1; b=2; c=3\r\n\r\n"))
        guard case .head = step else { Issue.record("not a head"); return }
    }

    @Test func bodyWithoutLengthGoesChunkedAndWithLengthAsIs() {
        let post = [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/up")]
        let (chunked, _, r1) = head(post, endStream: false)
        #expect(chunked.hasSuffix("transfer-encoding: chunked\r\n\r\n"))
        #expect(r1.request.bodyFraming == .chunked)
        let (length, _, r2) = head(post + [("content-length", "5")], endStream: false)
        #expect(!length.contains("transfer-encoding"))
        #expect(r2.request.bodyFraming == .length(5))
        let (none, _, r3) = head(post, endStream: true)
        #expect(!none.contains("transfer-encoding") && r3.request.bodyFraming == .none)
    }

    @Test func connectBecomesAnAuthorityFormRequestTheHTTP1RulesRefuse() {
        let (text, step, _) = head([(":method", "CONNECT"), (":authority", "example.test:443")])
        #expect(text.hasPrefix("CONNECT example.test:443 HTTP/1.1\r\n"))
        guard case .headError(let error) = step else { Issue.record("CONNECT accepted: \(step)"); return }
        #expect(error.status == 405)
    }
}
