/// An address block such as `10.0.0.0/8` or `::1/128`, used for the override allow-list.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The block's first address (host bits are always zero).
    public let network: IPAddress
    /// The number of leading bits that must match: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// Builds a block, clearing the host bits of `network`; nil when `prefixLength` is out of
    /// range for the address family.
    public init?(network: IPAddress, prefixLength: Int) {
        switch network {
        case .v4(let value):
            guard (0...32).contains(prefixLength) else { return nil }
            self.network = .v4(value & CIDR.mask32(prefixLength))
        case .v6(let high, let low):
            guard (0...128).contains(prefixLength) else { return nil }
            let (highMask, lowMask) = CIDR.mask128(prefixLength)
            self.network = .v6(high & highMask, low & lowMask)
        }
        self.prefixLength = prefixLength
    }

    /// Parses `address/length` or a bare address (a single-address block, /32 or /128).
    /// Host bits set in the address are cleared, as nginx and HAProxy do.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parsing: String(parts[0])) else { return nil }
        var length: Int
        switch address {
        case .v4: length = 32
        case .v6: length = 128
        }
        if parts.count == 2 {
            guard (1...3).contains(parts[1].utf8.count),
                  parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let parsed = Int(parts[1])
            else { return nil }
            length = parsed
        }
        self.init(network: address, prefixLength: length)
    }

    /// True when `ip` lies in the block. An IPv4 block also matches the IPv4-mapped IPv6 form
    /// (`::ffff:a.b.c.d`) of its addresses, and an IPv6 block matches an IPv4 address through
    /// that same mapped form. Does not allocate.
    public func contains(_ ip: IPAddress) -> Bool {
        switch network {
        case .v4(let net):
            guard let value = ip.asIPv4 else { return false }
            return value & CIDR.mask32(prefixLength) == net
        case .v6(let netHigh, let netLow):
            let (high, low) = ip.asIPv6
            let (highMask, lowMask) = CIDR.mask128(prefixLength)
            return high & highMask == netHigh && low & lowMask == netLow
        }
    }

    /// `network/prefixLength`, e.g. `10.0.0.0/8`.
    public var description: String {
        "\(network)/\(prefixLength)"
    }

    private static func mask32(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << (32 - length)
    }

    private static func mask128(_ length: Int) -> (UInt64, UInt64) {
        if length <= 64 {
            return (length == 0 ? 0 : UInt64.max << (64 - length), 0)
        }
        return (UInt64.max, UInt64.max << (128 - length))
    }
}
