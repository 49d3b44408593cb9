import Glibc
import Traffic

/// Resolves backend host names while route files load (never on an event loop: it blocks).
enum HostResolver {
    /// The address of `host` from `getaddrinfo`: the first IPv4 result, else the first IPv6
    /// result; nil when the name does not resolve.
    static func resolve(_ host: String) -> IPAddress? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(first) }
        var firstIPv6: IPAddress?
        for node in sequence(first: first, next: { $0.pointee.ai_next }) {
            guard let address = node.pointee.ai_addr else { continue }
            switch node.pointee.ai_family {
            case AF_INET:
                let sin = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self).sin_addr
                return withUnsafeBytes(of: sin) { IPAddress(networkOrderBytes: $0) }
            case AF_INET6 where firstIPv6 == nil:
                let sin6 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self).sin6_addr
                firstIPv6 = withUnsafeBytes(of: sin6) { IPAddress(networkOrderBytes: $0) }
            default:
                continue
            }
        }
        return firstIPv6
    }
}
