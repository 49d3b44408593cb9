import Testing
@testable import HTTP2

/// RFC 7541: the Huffman code, integers, the examples of Appendix C, tables and errors.
struct HuffmanTests {
    @Test func codeIsCompleteAndMatchesAppendixB() {
        // Kraft sum of a complete prefix code is exactly 1: sum of 2^(30-len) == 2^30.
        let kraft = Huffman.lengths.reduce(0) { $0 + (1 << (30 - Int($1))) }
        #expect(kraft == 1 << 30)
        // A complete binary tree of 257 leaves has 256 inner nodes: the decoder's states.
        #expect(Huffman.accepting.count == 256 && Huffman.steps.count == 256 * 16)
        // Spot checks against the table as printed (code as hex, len).
        let printed: [(Int, UInt32, UInt8)] = [
            (0, 0x1ff8, 13), (1, 0x7fffd8, 23), (10, 0x3ffffffc, 30), (13, 0x3ffffffd, 30), (22, 0x3ffffffe, 30),
            (32, 0x14, 6), (48, 0x0, 5), (88, 0xfc, 8), (92, 0x7fff0, 19), (97, 0x3, 5), (127, 0xffffffc, 28),
            (128, 0xfffe6, 20), (195, 0x7fff1, 19), (220, 0xffffffd, 28), (255, 0x3ffffee, 26), (256, 0x3fffffff, 30),
        ]
        for (symbol, code, length) in printed {
            #expect(Huffman.codes[symbol] == code, "code of \(symbol)")
            #expect(Huffman.lengths[symbol] == length, "length of \(symbol)")
        }
    }

    @Test func everyByteRoundTrips() throws {
        let all = (0...255).map { UInt8($0) } + Array("www.example.com".utf8)
        var encoded: [UInt8] = []
        Huffman.encode(all, into: &encoded)
        #expect(encoded.count == Huffman.encodedLength(all))
        #expect(try huffmanDecode(encoded).get() == all)
    }

    @Test func exampleStringsFromAppendixC() throws {
        for (text, code) in [("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"), ("no-cache", "a8eb 1064 9cbf"),
                             ("custom-key", "25a8 49e9 5ba9 7d7f"), ("custom-value", "25a8 49e9 5bb8 e8b4 bf"),
                             ("302", "6402"), ("private", "aec3 771a 4b")] {
            var encoded: [UInt8] = []
            Huffman.encode(Array(text.utf8), into: &encoded)
            #expect(encoded == hex(code), "\(text)")
        }
    }

    func decodeError(_ bytes: [UInt8]) -> HPACKError? {
        if case .failure(let e) = huffmanDecode(bytes) { e } else { nil }
    }

    @Test func rejectsBadPaddingAndEOS() {
        // 'a' (00011) then 3 one bits: fine. Then the same with a zero bit in the padding.
        #expect(decodeError([0b0001_1111]) == nil)
        #expect(decodeError([0b0001_1011]) == .huffmanPadding)
        // A whole byte of padding (8 one bits) after a complete symbol.
        #expect(decodeError([0b0001_1111, 0xFF]) == .huffmanPadding)
        // EOS itself (30 one bits) inside the string.
        #expect(decodeError([0xFF, 0xFF, 0xFF, 0xFF]) == .huffmanEOS)
    }
}

struct HPACKIntegerTests {
    @Test func appendixC1() throws {
        for (value, prefix, bytes) in [(10, 5, [UInt8(0x0a)]), (1337, 5, [0x1f, 0x9a, 0x0a]), (42, 8, [0x2a])] {
            var out: [UInt8] = []
            HPACKInteger.encode(value, prefixBits: prefix, flags: 0, into: &out)
            #expect(out == bytes)
            #expect(try integerDecode(bytes, prefixBits: prefix).get() == [value, bytes.count])
        }
    }

    @Test func rejectsOverflowAndTruncation() {
        func error(_ bytes: [UInt8]) -> HPACKError? {
            if case .failure(let e) = integerDecode(bytes, prefixBits: 5) { e } else { nil }
        }
        #expect(error([0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]) == .integerOverflow)
        #expect(error([0x1f, 0x9a]) == .truncated)
        #expect(error([]) == .truncated)
    }
}

struct HPACKDecoderTests {
    /// Decodes each block in turn with one decoder; checks fields and the table after each.
    func sequence(_ blocks: [String], tableSize: Int, expect: [[(String, String)]], tableSizes: [Int]) throws {
        var decoder = HPACKDecoder(maxTableSize: tableSize)
        for (i, block) in blocks.enumerated() {
            var list = HeaderList()
            #expect(hpackDecode(&decoder, hex(block), into: &list) == nil)
            #expect(list.pairs.map { "\($0.0): \($0.1)" } == expect[i].map { "\($0.0): \($0.1)" }, "block \(i)")
            #expect(decoder.table.size == tableSizes[i], "table size after block \(i)")
        }
    }

    static let requests: [[(String, String)]] = [
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")],
    ]
    static let responses: [[(String, String)]] = [
        [(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
        [(":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
        [(":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"), ("location", "https://www.example.com"),
         ("content-encoding", "gzip"), ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")],
    ]
    static let c3 = ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865",
                     "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"]
    static let c4 = ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf",
                     "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"]
    static let c5 = ["4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                     "4803 3330 37c1 c0bf",
                     "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31"]
    static let c6 = ["4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                     "4883 640e ffc1 c0bf",
                     "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"]

    @Test func appendixC2() throws {
        try sequence(["400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"], tableSize: 4096,
                     expect: [[("custom-key", "custom-header")]], tableSizes: [55])
        try sequence(["040c 2f73 616d 706c 652f 7061 7468"], tableSize: 4096, expect: [[(":path", "/sample/path")]], tableSizes: [0])
        try sequence(["1008 7061 7373 776f 7264 0673 6563 7265 74"], tableSize: 4096, expect: [[("password", "secret")]], tableSizes: [0])
        try sequence(["82"], tableSize: 4096, expect: [[(":method", "GET")]], tableSizes: [0])
    }

    @Test func appendixC3RequestsWithoutHuffman() throws {
        try sequence(Self.c3, tableSize: 4096, expect: Self.requests, tableSizes: [57, 110, 164])
    }

    @Test func appendixC4RequestsWithHuffman() throws {
        try sequence(Self.c4, tableSize: 4096, expect: Self.requests, tableSizes: [57, 110, 164])
    }

    @Test func appendixC5ResponsesWithEviction() throws {
        try sequence(Self.c5, tableSize: 256, expect: Self.responses, tableSizes: [222, 222, 215])
    }

    @Test func appendixC6ResponsesWithHuffmanAndEviction() throws {
        try sequence(Self.c6, tableSize: 256, expect: Self.responses, tableSizes: [222, 222, 215])
    }

    func error(_ block: String, decoder: inout HPACKDecoder) -> HPACKError? {
        var list = HeaderList()
        return hpackDecode(&decoder, hex(block), into: &list)
    }

    @Test func rejectsWhatRFC7541Forbids() {
        var d = HPACKDecoder()
        #expect(error("80", decoder: &d) == .invalidIndex(0))                 // index 0 (6.1)
        #expect(error("be", decoder: &d) == .invalidIndex(62))                // past an empty dynamic table (2.3.3)
        #expect(error("7f00 0161", decoder: &d) == .invalidIndex(63))         // literal name index past the end
        #expect(error("0005 6162", decoder: &d) == .truncated)                // string past the block
        #expect(error("3fe21f", decoder: &d) == .tableSizeAboveLimit(4097))   // size update over the setting (6.3)
        #expect(error("82 20", decoder: &d) == .tableSizeUpdateNotFirst)      // size update after a field (4.2)
        #expect(error("0081 ff", decoder: &d) == .huffmanPadding)             // 8 bits of padding (5.2)
        #expect(error("0084 ffff ffff", decoder: &d) == .huffmanEOS)          // EOS in a string (5.2)
        #expect(error("3fe11f 20 82", decoder: &d) == nil)                    // several updates first are fine
        #expect(d.table.maxSize == 0)
    }

    @Test func aFailedBlockLeavesTheListAsItWas() {
        // Found by the fuzzer: a literal's name read, then its value cut short, left the name's
        // bytes in the list (over the list limit).
        var d = HPACKDecoder(maxHeaderListSize: 64)
        var list = HeaderList([("a", "b")])
        let literal: [UInt8] = [0x00, 0x7F, 0x01] + [UInt8](repeating: 0x61, count: 128) + [0x05, 0x61]
        #expect(hpackDecode(&d, literal, into: &list) == .truncated)
        #expect(list == HeaderList([("a", "b")]))
    }

    @Test func sizeUpdateEvicts() throws {
        var d = HPACKDecoder()
        #expect(error("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", decoder: &d) == nil)
        #expect(d.table.count == 1)
        #expect(error("20", decoder: &d) == nil)
        #expect(d.table.count == 0 && d.table.size == 0)
    }

    @Test func boundedAgainstHPACKBomb() {
        // One 4,000-byte entry, then a block that names it 16,000 times: 64 MB if expanded.
        var d = HPACKDecoder(maxHeaderListSize: 16_384)
        var insert: [UInt8] = [0x40]
        HPACKInteger.encode(1, prefixBits: 7, flags: 0, into: &insert); insert += [0x78]
        HPACKInteger.encode(4000, prefixBits: 7, flags: 0, into: &insert); insert += [UInt8](repeating: 0x61, count: 4000)
        var list = HeaderList()
        #expect(hpackDecode(&d, insert, into: &list) == nil)
        let bomb = [UInt8](repeating: 0xBE, count: 16_000)
        list.removeAll()
        #expect(hpackDecode(&d, bomb, into: &list) == .headerListTooLarge)
        #expect(list.bytes.count <= 16_384)
        #expect(d.table.count == 1) // the table is still in step
    }
}

struct HPACKEncoderTests {
    @Test func producesAppendixC4() {
        var e = HPACKEncoder()
        for (i, fields) in HPACKDecoderTests.requests.enumerated() {
            var out: [UInt8] = []
            e.beginBlock(into: &out)
            for (n, v) in fields { e.encode(name: Array(n.utf8), value: Array(v.utf8), into: &out) }
            #expect(out == hex(HPACKDecoderTests.c4[i]), "request \(i)")
        }
    }

    @Test func producesAppendixC6FirstTwoResponses() {
        var e = HPACKEncoder(preferredTableSize: 256)
        for i in 0..<2 {
            var out: [UInt8] = []
            e.beginBlock(into: &out)
            for (n, v) in HPACKDecoderTests.responses[i] { e.encode(name: Array(n.utf8), value: Array(v.utf8), into: &out) }
            #expect(out == hex(HPACKDecoderTests.c6[i]), "response \(i)")
        }
    }

    @Test func roundTripsThroughTheDecoderWithSizeUpdates() throws {
        var e = HPACKEncoder()
        var d = HPACKDecoder()
        let fields: [(String, String)] = [(":status", "200"), ("Content-Type", "text/html; charset=utf-8"), ("set-cookie", "id=42"),
                                          ("x-long", String(repeating: "z", count: 3000)), ("authorization", "Bearer t"), ("x-bin", "\u{7F}é")]
        for round in 0..<4 {
            if round == 2 { e.setPeerMaxTableSize(0); e.setPeerMaxTableSize(100) }
            var out: [UInt8] = []
            e.beginBlock(into: &out)
            for (n, v) in fields { e.encode(name: Array(n.utf8), value: Array(v.utf8), into: &out) }
            var list = HeaderList()
            #expect(hpackDecode(&d, out, into: &list) == nil)
            #expect(list.pairs.map { $0.0 } == fields.map { $0.0.lowercased() }, "round \(round)")
            #expect(list.pairs.map { $0.1 } == fields.map { $0.1 }, "round \(round)")
            #expect(e.table.size == d.table.size && e.table.count == d.table.count)
        }
        #expect(e.table.maxSize == 100)
    }

    @Test func everyStaticEntryIsFoundByNameAndByNameAndValue() {
        for (i, entry) in HPACKStaticTable.entries.enumerated() {
            let first = HPACKStaticTable.entries.firstIndex { $0.name == entry.name }! + 1
            let found = HPACKStaticTable.find(name: entry.name, value: entry.value[...])
            #expect(found.nameIndex == first && found.fullIndex == i + 1, "entry \(i + 1)")
        }
        #expect(HPACKStaticTable.find(name: Array(":status".utf8), value: Array("201".utf8)[...]) == (8, nil))
        #expect(HPACKStaticTable.find(name: Array("x-pool".utf8), value: []) == (nil, nil))
        #expect(HPACKStaticTable.find(name: Array(repeating: UInt8(ascii: "a"), count: 200), value: []) == (nil, nil))
        #expect(HPACKStaticTable.count == HPACKStaticTable.entries.count)
    }

    @Test func credentialsAreNeverIndexed() {
        var e = HPACKEncoder()
        var out: [UInt8] = []
        e.encode(name: Array("authorization".utf8), value: Array("secret".utf8), into: &out)
        #expect(out.first == 0x1F) // never indexed, name index 23 (15 + 8)
        #expect(e.table.count == 0)
    }

    @Test func requestIDsAreNotIndexedAndKeepTheTableForFieldsThatRepeat() {
        var e = HPACKEncoder()
        var d = HPACKDecoder()
        var first: [UInt8] = []
        e.encode(name: Array("server".utf8), value: Array("uvicorn".utf8), into: &first)
        for i in 0..<100 {
            var out: [UInt8] = []
            e.encode(name: Array("X-Request-Id".utf8), value: Array("req-\(i)".utf8), into: &out)
            #expect(out.first == 0x00) // a literal without indexing, its name a literal too
            var list = HeaderList()
            #expect(hpackDecode(&d, out, into: &list) == nil)
            #expect(list.pairs.first?.0 == "x-request-id" && list.pairs.first?.1 == "req-\(i)")
        }
        #expect(e.table.count == 1)
        var out: [UInt8] = []
        e.encode(name: Array("server".utf8), value: Array("uvicorn".utf8), into: &out)
        #expect(out == [0x80 | 62]) // still the first dynamic entry
    }
}
