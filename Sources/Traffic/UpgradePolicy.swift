/// Which protocols a route lets a client switch to (the `Upgrade` field, RFC 9110 7.8): a
/// 101 turns the connection into a tunnel that host and path routing, header rewriting,
/// override stripping, logging and metrics no longer see, so only the protocols listed are
/// tunnelled (`websocket` by default). `h2c` never is: an h2c tunnel would carry whole
/// requests past every route rule.
public struct UpgradePolicy: Hashable, Sendable {
    /// Protocol names (without version), lowercase.
    public private(set) var protocols: [[UInt8]]

    /// The default: WebSocket only.
    public static let websocket = UpgradePolicy(checked: ["websocket"])

    /// A policy for `names` (tokens, any case; none: no upgrade is tunnelled); nil if one is
    /// `h2c` or not a token.
    public init?(names: [String]) {
        var protocols: [[UInt8]] = []
        for name in names {
            let bytes = name.utf8.map(ASCII.lowercased)
            guard !bytes.isEmpty, bytes.allSatisfy(Self.isTokenByte), bytes != Array("h2c".utf8) else { return nil }
            protocols.append(bytes)
        }
        self.protocols = protocols
    }

    private init(checked names: [String]) {
        protocols = names.map { Array($0.utf8) }
    }

    /// Whether a request whose `Upgrade` value is `value` may be tunnelled: every protocol it
    /// offers (`name[/version]`, comma-separated, optional whitespace) is allowed, and there is
    /// at least one. Runs once per request that asks to upgrade; allocates nothing.
    public func allows(_ value: UnsafeRawBufferPointer) -> Bool {
        var offered = 0
        var i = 0
        while i < value.count {
            while i < value.count && (value[i] == 0x20 || value[i] == 0x09 || value[i] == UInt8(ascii: ",")) { i += 1 }
            guard i < value.count else { break }
            let start = i
            while i < value.count && Self.isTokenByte(value[i]) { i += 1 }
            let name = UnsafeRawBufferPointer(rebasing: value[start..<i])
            if i < value.count && value[i] == UInt8(ascii: "/") {
                i += 1
                let versionStart = i
                while i < value.count && Self.isTokenByte(value[i]) { i += 1 }
                guard i > versionStart else { return false }
            }
            while i < value.count && (value[i] == 0x20 || value[i] == 0x09) { i += 1 }
            guard !name.isEmpty, i == value.count || value[i] == UInt8(ascii: ","),
                  protocols.contains(where: { allowed in
                      allowed.withUnsafeBytes { ASCII.equalsIgnoringCase(name, lowercased: $0) }
                  })
            else { return false }
            offered += 1
        }
        return offered > 0
    }

    /// RFC 9110 tchar.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
