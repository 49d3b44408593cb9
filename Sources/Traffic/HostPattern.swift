/// The `match.host` of a route: one host name, or every subdomain of a domain.
public enum HostPattern: Hashable, Sendable, CustomStringConvertible {
    /// Matches this host exactly (stored lowercase, e.g. `api.example.com` or `[::1]`).
    case exact([UInt8])
    /// Matches any host ending with this suffix after at least one more byte: `*.example.com`
    /// is stored as `.example.com` and matches `a.example.com` and `x.y.example.com`, not
    /// `example.com`.
    case suffix([UInt8])

    /// Parses `host`, `*.domain`, an IPv4 address or a bracketed IPv6 address (`[::1]`,
    /// stored in canonical form). Host names are dot-separated labels of letters, digits and
    /// inner hyphens, each at most 63 bytes, 253 bytes in all. Returns nil for anything else,
    /// including a port, a trailing dot, or a `*` anywhere but a whole first label.
    public init?(parsing text: String) {
        if text.hasPrefix("["), text.hasSuffix("]") {
            guard let address = IPAddress(parsing: String(text.dropFirst().dropLast())),
                  case .v6 = address
            else { return nil }
            self = .exact(Array("[\(address)]".utf8))
            return
        }
        let lowered = text.lowercased()
        let isWildcard = lowered.hasPrefix("*.")
        let name = isWildcard ? String(lowered.dropFirst(2)) : lowered
        guard HostPattern.isValidHostName(name) else { return nil }
        self = isWildcard ? .suffix(Array(("." + name).utf8)) : .exact(Array(name.utf8))
    }

    /// The pattern as written in a route file: `api.example.com` or `*.example.com`.
    public var description: String {
        switch self {
        case .exact(let bytes): String(decoding: bytes, as: UTF8.self)
        case .suffix(let bytes): "*" + String(decoding: bytes, as: UTF8.self)
        }
    }

    /// True when `host` (a host name without port or trailing dot, in any case) matches.
    /// Does not allocate.
    func matches(_ host: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .exact(let name):
            name.withUnsafeBytes { ASCII.equalsIgnoringCase(host, lowercased: $0) }
        case .suffix(let suffix):
            host.count > suffix.count && suffix.withUnsafeBytes { ASCII.hasSuffixIgnoringCase(host, lowercased: $0) }
        }
    }

    /// Checks RFC 1123 host name syntax on lowercase text.
    private static func isValidHostName(_ name: String) -> Bool {
        guard (1...253).contains(name.utf8.count) else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count)
                && label.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
                && label.first != "-" && label.last != "-"
        }
    }
}
