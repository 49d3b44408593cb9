import Testing
import Traffic

struct HostPatternTests {
    @Test func parsesExactAndWildcard() {
        #expect(HostPattern(parsing: "api.example.com") == .exact(Array("api.example.com".utf8)))
        #expect(HostPattern(parsing: "API.Example.COM") == .exact(Array("api.example.com".utf8)))
        #expect(HostPattern(parsing: "*.example.com") == .suffix(Array(".example.com".utf8)))
        #expect(HostPattern(parsing: "localhost") == .exact(Array("localhost".utf8)))
        #expect(HostPattern(parsing: "10.0.0.1") == .exact(Array("10.0.0.1".utf8)))
        #expect(HostPattern(parsing: "[::1]") == .exact(Array("[::1]".utf8)))
        #expect(HostPattern(parsing: "[0:0::0001]") == .exact(Array("[::1]".utf8)))
        #expect(HostPattern(parsing: "*.example.com")?.description == "*.example.com")
        #expect(HostPattern(parsing: "xn--bcher-kva.example")?.description == "xn--bcher-kva.example")
    }

    @Test(arguments: ["", "*", "*.", "*example.com", "a.*.example.com", "**.example.com", "example.com.", ".example.com",
                      "api.example.com:8080", "exa mple.com", "ex_ample.com", "-api.example.com", "api-.example.com",
                      "a..b", "[::1]:80", "[10.0.0.1]", "[zz]", "bücher.example", String(repeating: "a", count: 64) + ".com"])
    func rejects(text: String) {
        #expect(HostPattern(parsing: text) == nil)
    }
}
