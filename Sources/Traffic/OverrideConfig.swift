/// The override header that forces a pool (smoke tests on green at 0%), honoured only from
/// allowed client addresses.
public struct OverrideConfig: Hashable, Sendable {
    public static let defaultHeader = "X-Sluice-Pool"
    /// Loopback only: 127.0.0.0/8 and ::1/128.
    public static let defaultAllowFrom: [CIDR] = [
        CIDR(network: .v4(0x7F00_0000), prefixLength: 8)!,
        CIDR(network: .v6(0, 1), prefixLength: 128)!,
    ]

    /// The request header naming the pool (`blue` or `green`, any case).
    public var header: String
    /// Client addresses allowed to force a pool; the header is ignored from any other.
    public var allowFrom: [CIDR]

    public init(header: String = OverrideConfig.defaultHeader, allowFrom: [CIDR] = OverrideConfig.defaultAllowFrom) {
        self.header = header
        self.allowFrom = allowFrom
    }
}
