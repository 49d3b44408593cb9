/// One backend server of a pool: where to connect, and how to name it in logs and status.
public struct BackendAddress: Hashable, Sendable, CustomStringConvertible {
    /// The backend as written in the route file, without an `http://` or `https://` scheme
    /// (e.g. `127.0.0.1:8001` or `localhost:8001`); used as `upstream` in logs.
    public var label: String
    /// The resolved address to connect to.
    public var ip: IPAddress
    /// The TCP port, 1...65535.
    public var port: UInt16
    /// For an `https://` backend, the host as written (a name or an IP address): sent as
    /// SNI when it is a name, and what the backend's certificate must be for. Nil: plain HTTP.
    public var tlsHost: String?

    public init(label: String, ip: IPAddress, port: UInt16, tlsHost: String? = nil) {
        self.label = label
        self.ip = ip
        self.port = port
        self.tlsHost = tlsHost
    }

    public var description: String {
        label
    }

    /// Splits `host:port` or `[v6]:port` into the host (without brackets) and the port.
    /// The port must be decimal 1...65535; a bracketed host must be an IPv6 address; an unbracketed
    /// host must be non-empty and contain no colon. Does not resolve names.
    public static func parseHostPort(_ text: String) -> (host: String, port: UInt16)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = text[..<colon]
        let portText = text[text.index(after: colon)...]
        guard (1...5).contains(portText.utf8.count),
              portText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let port = UInt16(portText), port > 0
        else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
            guard case .v6 = IPAddress(parsing: String(host)) else { return nil }
        } else {
            guard !host.isEmpty, !host.contains(":"), !host.contains("["), !host.contains("]") else { return nil }
        }
        return (String(host), port)
    }
}
