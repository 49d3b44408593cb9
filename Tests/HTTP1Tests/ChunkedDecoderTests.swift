import Testing
@testable import HTTP1

/// Runs a fresh decoder over `input` split at `cuts`, calling it the way the
/// proxy does: repeatedly on the unconsumed rest until it needs more, ends or fails.
/// Returns the data, the trailer section's bytes, the final status, and how many input bytes
/// were consumed in total.
func decodeChunked(_ input: [UInt8], cuts: [Int] = []) -> (data: [UInt8], trailer: [UInt8], status: ChunkedDecoder.Status, consumed: Int) {
    var decoder = ChunkedDecoder()
    var data: [UInt8] = []
    var trailer: [UInt8] = []
    var pending: [UInt8] = []
    var consumed = 0
    var available = 0
    let ends = cuts.filter { $0 > 0 && $0 < input.count }.sorted() + [input.count]
    for end in ends where end >= available {
        pending += input[available..<end]
        available = end
        reading: while !pending.isEmpty {
            let out = pending.withUnsafeBytes { buf -> ChunkedDecoder.Output in
                let out = decoder.decode(buf)
                data += UnsafeRawBufferPointer(rebasing: buf[out.data])
                trailer += UnsafeRawBufferPointer(rebasing: buf[decoder.trailer])
                return out
            }
            pending.removeFirst(out.consumed)
            consumed += out.consumed
            switch out.status {
            case .end, .error:
                return (data, trailer, out.status, consumed)
            case .needMore:
                if out.consumed == 0 { break reading }
            }
        }
    }
    return (data, trailer, .needMore, consumed)
}

struct ChunkedDecoderTests {
    static let valid = "5;name=value\r\nhello\r\n7;a;b=\"q s\"\r\n, world\r\nA\r\n0123456789\r\n0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"

    @Test func decodesWithExtensionsAndTrailersAtEverySplit() {
        let input = bytes(Self.valid)
        let whole = decodeChunked(input)
        #expect(whole.data == bytes("hello, world0123456789"))
        #expect(whole.trailer == bytes("X-Checksum: abc\r\nX-Other: 1\r\n"))
        #expect(whole.status == .end)
        #expect(whole.consumed == input.count)
        for i in 0...input.count {
            let split = decodeChunked(input, cuts: [i])
            #expect(split.data == whole.data && split.trailer == whole.trailer && split.status == .end && split.consumed == input.count,
                    "split at \(i)")
        }
        let byteByByte = decodeChunked(input, cuts: Array(1..<input.count))
        #expect(byteByByte.data == whole.data)
        #expect(byteByByte.trailer == whole.trailer)
        #expect(byteByByte.status == .end)
    }

    @Test(arguments: [
        ("no trailers", "3\r\nabc\r\n0\r\n\r\n", "abc", ""),
        ("one field", "3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n", "abc", "grpc-status: 0\r\n"),
        ("after an extension", "3\r\nabc\r\n0;x=\"y\"\r\nA: 1\r\nB:2\r\n\r\n", "abc", "A: 1\r\nB:2\r\n"),
        ("obs-text and colons in a value", "3\r\nabc\r\n0\r\nT: a:b \u{E9}\t\r\n\r\n", "abc", "T: a:b \u{E9}\t\r\n"),
        ("no body", "0\r\nServer-Timing: db;dur=53\r\n\r\n", "", "Server-Timing: db;dur=53\r\n"),
    ])
    func trailerBytesAreHandedOutAtEverySplit(label: String, body: String, data: String, section: String) {
        let input = bytes(body)
        for cuts in [[]] + (0...input.count).map({ [$0] }) + [Array(1..<input.count)] {
            let out = decodeChunked(input, cuts: cuts)
            #expect(out.status == .end && out.data == bytes(data) && out.consumed == input.count, "\(label): cuts \(cuts)")
            #expect(out.trailer == bytes(section), "\(label): cuts \(cuts)")
        }
    }

    @Test func trailerRangesAreOfEachCallsInput() {
        var decoder = ChunkedDecoder()
        let input = bytes("2\r\nhi\r\n0\r\nA: 1\r\nB: 2\r\n\r\nNEXT")
        input.withUnsafeBytes { buf in
            #expect(decoder.decode(buf).data == 3..<5)
            #expect(decoder.trailer.isEmpty, "no trailer bytes with the data")
            // The last chunk's line and half of the first field line.
            let second = decoder.decode(UnsafeRawBufferPointer(rebasing: buf[5..<15]))
            #expect(second.status == .needMore && second.consumed == 10)
            #expect(decoder.trailer == 5..<10)
            // The rest: the first line's end, the second line, the empty line; NEXT is left.
            let third = decoder.decode(UnsafeRawBufferPointer(rebasing: buf[15...]))
            #expect(third.status == .end && third.consumed == 9)
            #expect(decoder.trailer == 0..<7)
            // A call after the end consumes no trailer bytes.
            _ = decoder.decode(UnsafeRawBufferPointer(rebasing: buf[24...]))
            #expect(decoder.trailer.isEmpty)
        }
        // Only the final empty line's LF in the last call: no trailer bytes in it.
        var split = ChunkedDecoder()
        let a = bytes("0\r\nA: 1\r\n\r")
        let b = bytes("\n")
        #expect(a.withUnsafeBytes { split.decode($0) }.status == .needMore)
        #expect(split.trailer == 3..<9)
        #expect(b.withUnsafeBytes { split.decode($0) }.status == .end)
        #expect(split.trailer.isEmpty)
    }

    @Test func eachCallHandsOutAtMostOneDataRun() {
        var decoder = ChunkedDecoder()
        let input = bytes("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT")
        input.withUnsafeBytes { buf in
            let first = decoder.decode(buf)
            #expect(first == ChunkedDecoder.Output(consumed: 6, data: 3..<6, status: .needMore))
            let rest1 = UnsafeRawBufferPointer(rebasing: buf[6...])
            let second = decoder.decode(rest1)
            #expect(second == ChunkedDecoder.Output(consumed: 7, data: 5..<7, status: .needMore))
            let rest2 = UnsafeRawBufferPointer(rebasing: buf[13...])
            let third = decoder.decode(rest2)
            #expect(third.status == .end)
            #expect(third.data.isEmpty)
            #expect(third.consumed == 7, "the bytes after the body are left for the next message")
            #expect(decoder.isDone)
            // Once done it consumes nothing more.
            let rest3 = UnsafeRawBufferPointer(rebasing: buf[20...])
            #expect(decoder.decode(rest3) == ChunkedDecoder.Output(consumed: 0, data: 0..<0, status: .end))
        }
    }

    @Test func dataSplitAcrossReads() {
        var decoder = ChunkedDecoder()
        let a = bytes("A\r\n0123")
        let outA = a.withUnsafeBytes { decoder.decode($0) }
        #expect(outA == ChunkedDecoder.Output(consumed: 7, data: 3..<7, status: .needMore))
        let b = bytes("456789\r\n0\r\n\r\n")
        let outB = b.withUnsafeBytes { decoder.decode($0) }
        #expect(outB == ChunkedDecoder.Output(consumed: 6, data: 0..<6, status: .needMore))
        let outC = b.withUnsafeBytes { decoder.decode(UnsafeRawBufferPointer(rebasing: $0[6...])) }
        #expect(outC.status == .end)
        #expect(outC.consumed == 7)
    }

    @Test func sizesAreHexAnyCase() {
        #expect(decodeChunked(bytes("a\r\n0123456789\r\n0\r\n\r\n")).data.count == 10)
        #expect(decodeChunked(bytes("F\r\n" + String(repeating: "x", count: 15) + "\r\n0\r\n\r\n")).data.count == 15)
        #expect(decodeChunked(bytes("1F\r\n" + String(repeating: "x", count: 31) + "\r\n0\r\n\r\n")).status == .end)
        // 15 hex digits (with leading zeros) is the most accepted.
        #expect(decodeChunked(bytes("000000000000003\r\nabc\r\n0\r\n\r\n")).data == bytes("abc"))
        #expect(decodeChunked(bytes("000000000000000\r\n\r\n")).status == .end)
        // A huge declared size is fine until the data runs out.
        let huge = decodeChunked(bytes("FFFFFFFFFFFFFFF\r\nabc"))
        #expect(huge.status == .needMore)
        #expect(huge.data == bytes("abc"))
    }

    static let invalid: [(String, String)] = [
        ("non-hex size", "zz\r\nhello\r\n0\r\n\r\n"),
        ("hex then junk", "5z\r\nhello\r\n0\r\n\r\n"),
        ("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"),
        ("empty size", "\r\nhello\r\n0\r\n\r\n"),
        ("size with sign", "+5\r\nhello\r\n0\r\n\r\n"),
        ("space after size", "5 \r\nhello\r\n0\r\n\r\n"),
        ("tab after size", "5\t\r\nhello\r\n0\r\n\r\n"),
        ("space before size", " 5\r\nhello\r\n0\r\n\r\n"),
        ("space before extension", "5 ;a=b\r\nhello\r\n0\r\n\r\n"),
        ("extension without size", ";a\r\nhello\r\n0\r\n\r\n"),
        ("16 hex digits", "0000000000000005\r\nhello\r\n0\r\n\r\n"),
        ("16 hex digits of F", "FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"),
        ("20 hex digits", "00000000000000000005\r\nhello\r\n0\r\n\r\n"),
        ("bare LF after size", "5\nhello\r\n0\r\n\r\n"),
        ("bare CR after size", "5\rhello\r\n0\r\n\r\n"),
        ("bare LF after extension", "5;a=b\nhello\r\n0\r\n\r\n"),
        ("control byte in extension", "5;a=\u{1}\r\nhello\r\n0\r\n\r\n"),
        // RFC 9112 7.1.1: chunk-ext = *( ";" token [ "=" ( token / quoted-string ) ] ).
        ("extension without a name", "2;\r\nhi\r\n0\r\n\r\n"),
        ("extension name not a token", "5;@@@\r\nhello\r\n0\r\n\r\n"),
        ("extension value not a token", "5;a=@@@\r\nhello\r\n0\r\n\r\n"),
        ("unbalanced quote", "5;a=\"b\r\nhello\r\n0\r\n\r\n"),
        ("unbalanced quote on the last chunk", "0;a=\"b\r\n\r\n"),
        ("empty extension value", "5;a=\r\nhello\r\n0\r\n\r\n"),
        ("value without a name", "5;=b\r\nhello\r\n0\r\n\r\n"),
        ("two semicolons", "5;;a\r\nhello\r\n0\r\n\r\n"),
        ("trailing semicolon", "5;a;\r\nhello\r\n0\r\n\r\n"),
        ("space inside an extension", "5;a b\r\nhello\r\n0\r\n\r\n"),
        ("space after the semicolon", "5; a\r\nhello\r\n0\r\n\r\n"),
        ("bytes after a quoted value", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"),
        ("escaped CR in a quoted value", "5;a=\"\\\r\"\r\nhello\r\n0\r\n\r\n"),
        ("NUL in a quoted value", "5;a=\"\u{0}\"\r\nhello\r\n0\r\n\r\n"),
        ("data longer than size", "5\r\nhello!\r\n0\r\n\r\n"),
        ("missing CRLF after data", "5\r\nhello0\r\n\r\n"),
        ("bare LF after data", "5\r\nhello\n0\r\n\r\n"),
        ("CR without LF after data", "5\r\nhello\rx0\r\n\r\n"),
        ("bare LF after last chunk", "0\n\r\n"),
        ("bare LF ending trailers", "0\r\n\n"),
        ("bare LF after a trailer", "0\r\nX: y\n\r\n"),
        ("trailer starting with space", "0\r\n X: y\r\n\r\n"),
        ("trailer starting with colon", "0\r\n: y\r\n\r\n"),
        ("trailer with NUL", "0\r\nX: a\u{0}b\r\n\r\n"),
        ("trailer with DEL", "0\r\nX: a\u{7F}b\r\n\r\n"),
        ("obs-fold in a trailer", "0\r\nX: a\r\n b\r\n\r\n"),
        ("obs-fold with a tab", "0\r\nX: a\r\n\tb\r\n\r\n"),
        ("CR inside a trailer", "0\r\nX: a\rb\r\n\r\n"),
        ("LF inside a trailer", "0\r\nX: a\nb: c\r\n\r\n"),
        ("control byte in a trailer", "0\r\nX: a\u{1}\r\n\r\n"),
        ("bytes after the empty line's CR", "0\r\nX: a\r\n\rX\n"),
    ]

    @Test(arguments: invalid)
    func refused(label: String, body: String) {
        let input = bytes(body)
        let whole = decodeChunked(input)
        #expect(whole.status == .error, "\(label)")
        for i in 0...input.count {
            #expect(decodeChunked(input, cuts: [i]).status == .error, "\(label): split at \(i)")
        }
        #expect(decodeChunked(input, cuts: Array(1..<input.count)).status == .error, "\(label): byte by byte")
    }

    @Test func errorIsFinal() {
        var decoder = ChunkedDecoder()
        let bad = bytes("zz\r\n")
        #expect(bad.withUnsafeBytes { decoder.decode($0) }.status == .error)
        let good = bytes("5\r\nhello\r\n0\r\n\r\n")
        let again = good.withUnsafeBytes { decoder.decode($0) }
        #expect(again.status == .error)
        #expect(again.consumed == 0)
        #expect(again.data.isEmpty)
    }

    @Test func aTrailerErrorKeepsTheBytesBeforeItAndTheNextCallHasNone() {
        var decoder = ChunkedDecoder()
        let bad = bytes("0\r\nA: 1\r\nB: \u{1}\r\n\r\n")
        let out = bad.withUnsafeBytes { decoder.decode($0) }
        #expect(out.status == .error && out.consumed == 12)
        #expect(decoder.trailer == 3..<12)
        #expect(bytes("\r\n").withUnsafeBytes { decoder.decode($0) }.status == .error)
        #expect(decoder.trailer.isEmpty)
    }

    @Test func errorReportsWhereItStopped() {
        var decoder = ChunkedDecoder()
        let input = bytes("3\r\nabc\r\n5 \r\n")
        input.withUnsafeBytes { buf in
            let first = decoder.decode(buf)
            #expect(first.data == 3..<6)
            let rest = UnsafeRawBufferPointer(rebasing: buf[first.consumed...])
            let second = decoder.decode(rest)
            #expect(second.status == .error)
            #expect(second.consumed == 3, "stops at the space after the size")
        }
    }

    @Test(arguments: [
        "5;a\r\nhello\r\n0\r\n\r\n",
        "5;a=b;c;d=e\r\nhello\r\n0\r\n\r\n",
        "5;a=\"q s; \\\" \\\\ \t é\"\r\nhello\r\n0\r\n\r\n",
        "5;a=\"\";b\r\nhello\r\n0\r\n\r\n",
        "5;!#$%&'*+-.^_`|~09AZaz=!#$%&'*+-.^_`|~09AZaz\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n0;a=\"b\"\r\n\r\n",
    ])
    func validExtensionsAreAcceptedAtEverySplit(body: String) {
        let input = bytes(body)
        for cuts in [[]] + (0...input.count).map({ [$0] }) + [Array(1..<input.count)] {
            let out = decodeChunked(input, cuts: cuts)
            #expect(out.status == .end && out.data == bytes("hello") && out.consumed == input.count, "cuts \(cuts)")
        }
    }

    @Test func extensionLineLimit() {
        // The size line (size digits plus extensions) may be up to 4096 bytes.
        let okExt = ";" + String(repeating: "e", count: 4096 - 2)
        let ok = decodeChunked(bytes("1" + okExt + "\r\nx\r\n0\r\n\r\n"))
        #expect(ok.status == .end)
        #expect(ok.data == bytes("x"))
        let tooLong = ";" + String(repeating: "e", count: 5000)
        #expect(decodeChunked(bytes("1" + tooLong + "\r\nx\r\n0\r\n\r\n")).status == .error)
        #expect(decodeChunked(bytes("1" + tooLong + "\r\nx\r\n0\r\n\r\n"), cuts: [100, 2000, 4097]).status == .error)
        // The limit is per line: many chunks each with a long extension are fine.
        let many = String(repeating: "1" + okExt + "\r\nx\r\n", count: 4) + "0\r\n\r\n"
        let manyOut = decodeChunked(bytes(many))
        #expect(manyOut.status == .end)
        #expect(manyOut.data == bytes("xxxx"))
    }

    @Test func trailerSectionLimit() {
        // Trailers up to 16 KiB are read and handed out; more is refused, however it arrives.
        let line = "X-T: " + String(repeating: "t", count: 993) + "\r\n" // 1000 bytes
        let ok = "0\r\n" + String(repeating: line, count: 16) + "\r\n"
        let okOut = decodeChunked(bytes(ok))
        #expect(okOut.status == .end)
        #expect(okOut.data.isEmpty)
        #expect(okOut.trailer == bytes(String(repeating: line, count: 16)))
        #expect(okOut.consumed == bytes(ok).count)
        let over = "0\r\n" + String(repeating: line, count: 17) + "\r\n"
        #expect(decodeChunked(bytes(over)).status == .error)
        #expect(decodeChunked(bytes(over), cuts: [5, 8000, 16_000, 16_500]).status == .error)
        // An endless trailer line is refused without waiting for its end.
        let endless = "0\r\nX: " + String(repeating: "v", count: 20_000)
        #expect(decodeChunked(bytes(endless)).status == .error)
    }

    @Test func truncatedBodyNeedsMore() {
        let input = bytes(Self.valid)
        for cut in 0..<input.count {
            let prefix = Array(input[..<cut])
            let out = decodeChunked(prefix)
            #expect(out.status == .needMore, "prefix \(cut)")
            #expect(out.consumed == cut, "a prefix is consumed entirely (prefix \(cut))")
        }
    }
}
