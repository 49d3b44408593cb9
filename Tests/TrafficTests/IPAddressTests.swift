import Testing
import Traffic

struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", IPAddress.v4(0)),
        ("10.0.0.1", .v4(0x0A00_0001)),
        ("255.255.255.255", .v4(0xFFFF_FFFF)),
        ("192.168.1.20", .v4(0xC0A8_0114)),
    ])
    func parsesIPv4(text: String, expected: IPAddress) {
        #expect(IPAddress(parsing: text) == expected)
        #expect(IPAddress(parsing: text)?.description == text)
    }

    @Test func theLongestTextFitsMaxTextLength() {
        let longest = IPAddress.v6(0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF)
        #expect(longest.description == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        #expect(longest.description.utf8.count == IPAddress.maxTextLength)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "1..3.4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.4/8", "0x1.2.3.4", "1234.1.1.1"])
    func rejectsBadIPv4(text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test(arguments: [
        ("::", IPAddress.v6(0, 0), "::"),
        ("::1", .v6(0, 1), "::1"),
        ("1::", .v6(0x0001_0000_0000_0000, 0), "1::"),
        ("2001:db8::1", .v6(0x2001_0DB8_0000_0000, 1), "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", .v6(0x2001_0DB8_0000_0000, 1), "2001:db8::1"),
        ("2001:0db8:0000:0000:0001:0000:0000:0001", .v6(0x2001_0DB8_0000_0000, 0x0001_0000_0000_0001), "2001:db8::1:0:0:1"),
        ("1:0:0:2:0:0:0:3", .v6(0x0001_0000_0000_0002, 3), "1:0:0:2::3"),
        ("1:0:0:2:3:0:0:4", .v6(0x0001_0000_0000_0002, 0x0003_0000_0000_0004), "1::2:3:0:0:4"),
        ("1:2:3:4:5:6:7:8", .v6(0x0001_0002_0003_0004, 0x0005_0006_0007_0008), "1:2:3:4:5:6:7:8"),
        ("1:0:3:4:5:6:7:8", .v6(0x0001_0000_0003_0004, 0x0005_0006_0007_0008), "1:0:3:4:5:6:7:8"),
        ("fe80::1:2", .v6(0xFE80_0000_0000_0000, 0x0000_0000_0001_0002), "fe80::1:2"),
        ("::ffff:10.0.0.1", .v6(0, 0x0000_FFFF_0A00_0001), "::ffff:10.0.0.1"),
        ("::FFFF:a00:1", .v6(0, 0x0000_FFFF_0A00_0001), "::ffff:10.0.0.1"),
        ("64:ff9b::192.0.2.33", .v6(0x0064_FF9B_0000_0000, 0x0000_0000_C000_0221), "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", .v6(0x0001_0002_0003_0004, 0x0005_0006_0102_0304), "1:2:3:4:5:6:102:304"),
    ])
    func parsesIPv6(text: String, expected: IPAddress, canonical: String) {
        #expect(IPAddress(parsing: text) == expected)
        #expect(expected.description == canonical)
        #expect(canonical.utf8.count <= IPAddress.maxTextLength)
        #expect(IPAddress(parsing: canonical) == expected)
    }

    @Test(arguments: [":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2:3:4:5:6:7:8",
                      "12345::", "g::1", "::1%eth0", "[::1]", "::1.2.3", "1.2.3.4::", "::ffff:1.2.3.4:5", ":1::", "1::2:"])
    func rejectsBadIPv6(text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test func buildsFromNetworkOrderBytes() {
        #expect(IPAddress(ipv4Bytes: (127, 0, 0, 1)) == .v4(0x7F00_0001))
        let v4: [UInt8] = [10, 1, 2, 3]
        #expect(v4.withUnsafeBytes { IPAddress(networkOrderBytes: $0) } == .v4(0x0A01_0203))
        let v6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]
        #expect(v6.withUnsafeBytes { IPAddress(networkOrderBytes: $0) } == .v6(0x2001_0DB8_0000_0000, 1))
        let odd: [UInt8] = [1, 2, 3]
        #expect(odd.withUnsafeBytes { IPAddress(networkOrderBytes: $0) } == nil)
    }
}
