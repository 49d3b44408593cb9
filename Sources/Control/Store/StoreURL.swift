public import ProxyIO
import Traffic

/// The members of the fleet's store as `--store` (or `SLUICE_STORE`) names them:
/// `etcd://HOST:PORT[,HOST:PORT...]`, a host being a name, an IPv4 address or a bracketed
/// IPv6 address (docs/fleet.md). Names are resolved when the instance starts.
public struct StoreURL: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public let host: String
        public let port: UInt16
    }

    public let members: [Member]

    /// What is wrong with a `--store` value, for the start-up error.
    public struct Malformed: Error, Hashable, Sendable, CustomStringConvertible {
        public let value: String
        public let reason: String

        public var description: String {
            "--store \(value): \(reason) (expected etcd://HOST:PORT[,HOST:PORT...])"
        }
    }

    /// Parses a `--store` value; throws naming the first problem.
    public init(parsing value: String) throws(Malformed) {
        func malformed(_ reason: String) -> Malformed { Malformed(value: value, reason: reason) }
        guard let scheme = value.firstRange(of: "://") else { throw malformed("no scheme") }
        let name = value[..<scheme.lowerBound].lowercased()
        guard name == "etcd" else {
            throw malformed(name == "http" || name == "https" ? "the scheme is etcd://, not \(name)://" : "unknown scheme \(name)://")
        }
        let list = value[scheme.upperBound...]
        guard !list.isEmpty else { throw malformed("no member") }
        var members: [Member] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw malformed("an empty member in the list") }
            guard !item.contains("/") else { throw malformed("a path or trailing slash after \(item.split(separator: "/")[0])") }
            guard let (host, port) = BackendAddress.parseHostPort(String(item)) else {
                throw malformed("\(item) is not HOST:PORT")
            }
            let member = Member(host: host, port: port)
            guard !members.contains(member) else { throw malformed("\(item) is listed twice") }
            members.append(member)
        }
        self.members = members
    }

    /// The members' addresses, names resolved now (blocking: at start-up only); throws
    /// naming the first member whose name does not resolve.
    public func addresses() throws(Malformed) -> [SocketAddress] {
        var out: [SocketAddress] = []
        for member in members {
            guard let ip = IPAddress(parsing: member.host) ?? HostResolver.resolve(member.host) else {
                throw Malformed(value: "\(member.host):\(member.port)", reason: "the name \(member.host) does not resolve")
            }
            out.append(SocketAddress(ip: ip, port: member.port))
        }
        return out
    }

    /// The members as `HOST:PORT` texts, for messages and `GET /fleet`.
    public var texts: [String] {
        members.map { $0.host.contains(":") ? "[\($0.host)]:\($0.port)" : "\($0.host):\($0.port)" }
    }
}
