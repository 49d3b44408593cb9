import HTTP1
import Testing
@testable import Control

/// The watch stream as it comes off the socket: a chunked response whose data are
/// newline-delimited JSON messages, read in pieces that may split anything anywhere.
struct WatchStreamParserTests {
    /// Reads `raw` in two pieces split at `split` through the response reader and the
    /// stream parser; the messages found.
    private func messages(_ raw: [UInt8], split: Int) throws -> [JSONValue] {
        var reader = ResponseReader()
        var parser = WatchStreamParser()
        var found: [JSONValue] = []
        for piece in [Array(raw[..<split]), Array(raw[split...])] {
            var data: [UInt8] = []
            let (consumed, progress) = piece.withUnsafeBytes { reader.read($0, body: &data) }
            #expect(consumed == piece.count && progress == .needMore)
            found += try parser.feed(data)
        }
        return found
    }

    @Test(arguments: ["watch-events", "watch-compacted"])
    func everySplitPointGivesTheSameMessages(_ name: String) throws {
        let raw = EtcdFixture.raw(name)
        let whole = try messages(raw, split: raw.count)
        #expect(whole.count == (name == "watch-events" ? 4 : 2))
        for split in 0...raw.count {
            #expect(try messages(raw, split: split) == whole, "split at \(split)")
        }
    }

    @Test func byteByByteGivesTheSameMessages() throws {
        let body = EtcdFixture.answer("watch-events").body
        var whole = WatchStreamParser()
        let expected = try whole.feed(body)
        var parser = WatchStreamParser()
        var found: [JSONValue] = []
        for byte in body { found += try parser.feed([byte]) }
        #expect(found == expected && found.count == 4)
    }

    @Test func aLineThatIsNotJSONStopsTheStream() {
        var parser = WatchStreamParser()
        #expect(throws: EtcdFailure.self) { try parser.feed(Array("{\"result\":{}}\n{oops\n".utf8)) }
    }

    @Test func anEndlessLineIsRefused() {
        var parser = WatchStreamParser(maxMessage: 8)
        #expect(throws: EtcdFailure.malformed(what: "stream message", reason: "longer than 8 bytes")) {
            try parser.feed(Array("{\"result\":".utf8))
        }
    }
}
