import Testing
import Traffic

struct ServerNameTableTests {
    private let table = ServerNameTable(names: [
        ["default.test"],
        ["api.example.com", "www.example.com"],
        ["*.example.com"],
        ["*.other.test", "exact.other.test"],
        ["API.EXAMPLE.COM"],
    ])

    private func pick(_ name: String) -> Int { withBytes(name) { table.certificate(for: $0) } }

    @Test func exactNamesWithoutCase() {
        #expect(pick("api.example.com") == 1)
        #expect(pick("WWW.Example.Com") == 1)
        #expect(pick("default.test") == 0)
    }

    @Test func wildcardCoversOneLabel() {
        #expect(pick("shop.example.com") == 2)
        #expect(pick("Shop.EXAMPLE.com") == 2)
        #expect(pick("a.b.example.com") == 0)
        #expect(pick("example.com") == 0)
        #expect(pick(".example.com") == 0)
        #expect(pick("x.other.test") == 3)
    }

    @Test func exactBeatsWildcardAndEarlierCertificateWins() {
        // api.example.com is exact in certificate 1 and also covered by certificate 2's
        // wildcard; certificate 4 repeats it later.
        #expect(pick("api.example.com") == 1)
        #expect(pick("exact.other.test") == 3)
    }

    @Test func unknownOrMissingNameGetsTheDefault() {
        #expect(pick("") == 0)
        #expect(pick("nothing.invalid") == 0)
        #expect(pick("example.com.evil") == 0)
        #expect(ServerNameTable(names: []).certificate(for: UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    @Test func oddPatternsNeverMatchAsWildcards() {
        let odd = ServerNameTable(names: [["a.test"], ["*"], ["f*.example.com"], ["*."]])
        #expect(withBytes("x") { odd.certificate(for: $0) } == 0)
        #expect(withBytes("foo.example.com") { odd.certificate(for: $0) } == 0)
        #expect(withBytes("*") { odd.certificate(for: $0) } == 1)
    }
}
