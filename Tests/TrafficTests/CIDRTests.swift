import Testing
import Traffic

struct CIDRTests {
    private func ip(_ text: String) throws -> IPAddress {
        try #require(IPAddress(parsing: text))
    }

    @Test func parsesBlocksAndBareAddresses() throws {
        #expect(CIDR(parsing: "10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(CIDR(parsing: "10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(CIDR(parsing: "192.168.1.7")?.description == "192.168.1.7/32")
        #expect(CIDR(parsing: "::1")?.description == "::1/128")
        #expect(CIDR(parsing: "2001:db8::/32")?.description == "2001:db8::/32")
        #expect(CIDR(parsing: "0.0.0.0/0")?.prefixLength == 0)
        #expect(CIDR(parsing: "::/0")?.prefixLength == 0)
    }

    @Test(arguments: ["", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "host/8", "10.0.0.0/ 8", "10.0.0.0/0008"])
    func rejectsBadBlocks(text: String) {
        #expect(CIDR(parsing: text) == nil)
    }

    @Test func containsIPv4() throws {
        let block = try #require(CIDR(parsing: "10.0.0.0/8"))
        #expect(block.contains(try ip("10.0.0.0")))
        #expect(block.contains(try ip("10.255.255.255")))
        #expect(!block.contains(try ip("11.0.0.0")))
        #expect(!block.contains(try ip("9.255.255.255")))
        let single = try #require(CIDR(parsing: "192.168.1.7"))
        #expect(single.contains(try ip("192.168.1.7")))
        #expect(!single.contains(try ip("192.168.1.8")))
        let odd = try #require(CIDR(parsing: "172.16.0.0/12"))
        #expect(odd.contains(try ip("172.31.255.1")))
        #expect(!odd.contains(try ip("172.32.0.1")))
        let everything = try #require(CIDR(parsing: "0.0.0.0/0"))
        #expect(everything.contains(try ip("203.0.113.9")))
        #expect(!everything.contains(try ip("2001:db8::1")))
    }

    @Test func ipv4BlockMatchesMappedIPv6() throws {
        let block = try #require(CIDR(parsing: "127.0.0.0/8"))
        #expect(block.contains(try ip("::ffff:127.0.0.1")))
        #expect(!block.contains(try ip("::ffff:128.0.0.1")))
        #expect(!block.contains(try ip("::127.0.0.1")))
        #expect(!block.contains(try ip("::1")))
    }

    @Test func containsIPv6() throws {
        let block = try #require(CIDR(parsing: "2001:db8::/32"))
        #expect(block.contains(try ip("2001:db8::1")))
        #expect(block.contains(try ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")))
        #expect(!block.contains(try ip("2001:db9::")))
        let loopback = try #require(CIDR(parsing: "::1"))
        #expect(loopback.contains(try ip("::1")))
        #expect(!loopback.contains(try ip("::2")))
        #expect(!loopback.contains(try ip("127.0.0.1")))
        let low = try #require(CIDR(parsing: "fd00::1:0/112"))
        #expect(low.contains(try ip("fd00::1:ffff")))
        #expect(!low.contains(try ip("fd00::2:0")))
        let mapped = try #require(CIDR(parsing: "::ffff:0:0/96"))
        #expect(mapped.contains(try ip("10.1.2.3")))
        #expect(try #require(CIDR(parsing: "::/0")).contains(try ip("10.1.2.3")))
    }

    @Test func networkInitChecksLength() {
        #expect(CIDR(network: .v4(0), prefixLength: 33) == nil)
        #expect(CIDR(network: .v6(0, 0), prefixLength: 129) == nil)
        #expect(CIDR(network: .v4(0), prefixLength: -1) == nil)
        #expect(CIDR(network: .v6(0, 0xFFFF), prefixLength: 120)?.network == .v6(0, 0xFF00))
    }
}
