import Testing
import Traffic

struct BackendAddressTests {
    @Test(arguments: [
        ("127.0.0.1:8001", "127.0.0.1", 8001), ("localhost:1", "localhost", 1), ("[::1]:65535", "::1", 65535),
        ("[2001:db8::7]:80", "2001:db8::7", 80), ("api.internal:443", "api.internal", 443),
    ] as [(String, String, UInt16)])
    func splitsHostAndPort(text: String, host: String, port: UInt16) throws {
        let parsed = try #require(BackendAddress.parseHostPort(text))
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.1:", ":8001", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80", "127.0.0.1:8o",
                      "::1:8001", "[::1]", "[::1]8001", "[]:80", "[localhost]:80", "[1.2.3.4]:80", "a[b]:80", "127.0.0.1:123456"])
    func rejectsMalformed(text: String) {
        #expect(BackendAddress.parseHostPort(text) == nil)
    }
}
