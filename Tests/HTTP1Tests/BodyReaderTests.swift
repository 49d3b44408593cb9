import Testing
@testable import HTTP1

@Suite struct BodyReaderTests {
    func read(_ reader: inout BodyReader, _ text: String, eof: Bool = false) -> BodyReader.Step {
        Array(text.utf8).withUnsafeBytes { reader.read($0, eof: eof) }
    }

    @Test func aLengthBodyEndsAtItsLength() {
        var r = BodyReader(.length(5))
        #expect(read(&r, "abc") == .init(consumed: 3, data: 0..<3, status: .more))
        #expect(read(&r, "defXYZ") == .init(consumed: 2, data: 0..<2, status: .end))
        #expect(r.isComplete)
    }

    @Test func aLengthBodyCutByEOFIsTruncated() {
        var r = BodyReader(.length(5))
        #expect(read(&r, "ab", eof: true) == .init(consumed: 2, data: 0..<2, status: .more))
        #expect(read(&r, "", eof: true).status == .truncated)
    }

    @Test func anUnframedBodyEndsAtEOF() {
        var r = BodyReader(.untilClose)
        #expect(read(&r, "abc") == .init(consumed: 3, data: 0..<3, status: .more))
        #expect(read(&r, "", eof: true).status == .end)
    }

    @Test func aChunkedBodyIsDecodedAndItsErrorsReported() {
        var r = BodyReader(.chunked)
        let step = read(&r, "3\r\nabc")
        #expect(step == .init(consumed: 6, data: 3..<6, status: .more))
        #expect(read(&r, "\r\n0\r\n\r\n") == .init(consumed: 7, data: 7..<7, status: .end))
        var bad = BodyReader(.chunked)
        #expect(read(&bad, "zz\r\n").status == .invalid)
        var cut = BodyReader(.chunked)
        #expect(read(&cut, "3\r\nab", eof: true).status == .more)
        #expect(read(&cut, "", eof: true).status == .truncated)
    }

    @Test func aChunkedBodysTrailerSectionIsHandedOut() {
        var r = BodyReader(.chunked)
        let input = bytes("1\r\na\r\n0\r\nGrpc-Status: 0\r\n\r\n")
        input.withUnsafeBytes { buf in
            let first = r.read(buf, eof: false)
            #expect(first.data == 3..<4 && r.trailer.isEmpty)
            let rest = UnsafeRawBufferPointer(rebasing: buf[first.consumed...])
            let last = r.read(rest, eof: false)
            #expect(last.status == .end && last.data.isEmpty)
            #expect(Array(rest[r.trailer]) == bytes("Grpc-Status: 0\r\n"))
        }
        var length = BodyReader(.length(3))
        #expect(read(&length, "abc").status == .end)
        #expect(length.trailer.isEmpty)
    }

    func framing(_ head: String, requestWasHead: Bool = false) -> BodyFraming {
        var reader = MessageReader(isRequest: false)
        return Array((head + "\r\n\r\n").utf8).withUnsafeBytes { buf in
            guard case .head = reader.read(buf, eof: false, limits: Limits()) else { return .none }
            return reader.response.bodyFraming(requestWasHead: requestWasHead)
        }
    }

    @Test func responsesAreFramedAsRFC9112Says() {
        #expect(framing("HTTP/1.1 200 OK\r\nContent-Length: 5") == .length(5))
        #expect(framing("HTTP/1.1 200 OK\r\nContent-Length: 0") == .none)
        #expect(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked") == .chunked)
        #expect(framing("HTTP/1.1 200 OK") == .untilClose)
        // No body, whatever the fields say: a response to HEAD, 1xx, 204, 304.
        #expect(framing("HTTP/1.1 200 OK\r\nContent-Length: 5", requestWasHead: true) == .none)
        #expect(framing("HTTP/1.1 204 No Content\r\nContent-Length: 5") == .none)
        #expect(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 5") == .none)
        #expect(framing("HTTP/1.1 103 Early Hints") == .none)
    }

    @Test func cookiesAndFieldsAreFoundByName() {
        let text = "GET / HTTP/1.1\r\nHost: a\r\nCookie: x=1; sid=abc; y=2\r\nX-Pool: green\r\n\r\n"
        var reader = MessageReader(isRequest: true)
        Array(text.utf8).withUnsafeBytes { buf in
            guard case .head = reader.read(buf, eof: false, limits: Limits()) else { Issue.record("no head"); return }
            let head = reader.request.head
            #expect(head.cookie(buf, named: Array("sid".utf8)).map { String(decoding: UnsafeRawBufferPointer(rebasing: buf[$0]), as: UTF8.self) } == "abc")
            #expect(head.cookie(buf, named: Array("si".utf8)) == nil)
            #expect(head.value(buf, named: Array("x-pool".utf8)).map { String(decoding: UnsafeRawBufferPointer(rebasing: buf[$0]), as: UTF8.self) } == "green")
            #expect(head.value(buf, named: []) == nil)
        }
    }
}
