import HTTP1
import Testing
import Traffic
@testable import HTTP2

/// `HeaderList.appendTrailerSection`: an HTTP/1.1 backend's trailer section as the fields of
/// the HEADERS frame that ends an HTTP/2 response.
struct TrailerSectionTests {
    func fields(_ section: String, into list: HeaderList = HeaderList()) -> [String] {
        var list = list
        Array(section.utf8).withUnsafeBytes { list.appendTrailerSection($0) }
        return list.pairs.map { "\($0.0)=\($0.1)" }
    }

    @Test func namesAreLowercasedAndValuesTrimmed() {
        #expect(fields("Grpc-Status: 0\r\nGRPC-Message:  all \t good \t\r\nx-empty:\r\nServer-Timing:db;dur=53\r\n")
            == ["grpc-status=0", "grpc-message=all \t good", "x-empty=", "server-timing=db;dur=53"])
    }

    @Test func orderAndRepeatsAreKeptAndValuesMayHoldColonsAndObsText() {
        #expect(fields("a: 1\r\nb: x:y:z\r\na: 2\r\nc: caf\u{E9}\r\n") == ["a=1", "b=x:y:z", "a=2", "c=caf\u{E9}"])
    }

    @Test func theFieldsAreAppendedToWhatTheListHolds() {
        #expect(fields("b: 2\r\nconnection: close\r\n", into: HeaderList([("a", "1")])) == ["a=1", "b=2"])
    }

    @Test func emptySectionGivesNoFields() {
        #expect(fields("").isEmpty)
        #expect(fields("\r\n").isEmpty)
    }

    @Test(arguments: [
        "Content-Length: 5", "transfer-encoding: chunked", "Host: evil.test", "Connection: close", "Keep-Alive: 5",
        "TE: trailers", "te: gzip", "Upgrade: h2c", "Proxy-Connection: keep-alive", "Trailer: grpc-status",
    ])
    func framingRoutingAndConnectionFieldsAreDropped(line: String) {
        #expect(fields("x-before: 1\r\n\(line)\r\nx-after: 2\r\n") == ["x-before=1", "x-after=2"], "\(line)")
    }

    @Test(arguments: [
        ("no colon", "no-colon-here"),
        ("empty name", ": value"),
        ("space in the name", "bad name: v"),
        ("space before the colon", "name : v"),
        ("separator in the name", "a(b): v"),
        ("NUL in the value", "x: a\u{0}b"),
        ("DEL in the value", "x: a\u{7F}b"),
        ("control byte in the value", "x: a\u{1}b"),
        ("CR in the value", "x: a\rb"),
        ("non-ASCII byte in the name", "n\u{E9}: v"),
    ])
    func badLinesAreDropped(label: String, line: String) {
        #expect(fields("x-before: 1\r\n\(line)\r\nx-after: 2\r\n") == ["x-before=1", "x-after=2"], "\(label)")
    }

    @Test func whateverTheBytesOnlyFieldsHTTP2AllowsInTrailersAreKept() {
        var rng = SeededGenerator(seed: 0x7A11)
        let pieces = ["Grpc-Status", ": ", "0", "\r\n", "\n", "\r", " ", "\t", ":", "Content-Length", "TE", "x y", "\u{0}",
                      "\u{7F}", "\u{E9}", "trailers", "Connection", "host", "A", "-", "\u{1}", "x-sum: 1\r\n", "\r\nServer-Timing:"]
        var kept = 0
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            var list = HeaderList()
            Array(text.utf8).withUnsafeBytes { list.appendTrailerSection($0) }
            #expect(RequestFields.validateTrailers(list, stream: 1) == nil, "\(text.debugDescription): \(list.pairs)")
            #expect(!(0..<list.count).contains { i in HeaderList.notInTrailers.contains { list.name(i).equals($0) } }, "\(text.debugDescription)")
            kept += list.count
        }
        #expect(kept > 500, "the inputs also reach the kept side")
    }

    @Test func aLineWithoutCRAndALastLineWithoutEndAreRead() {
        #expect(fields("a: 1\nb: 2") == ["a=1", "b=2"])
    }
}
