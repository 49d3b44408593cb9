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
}
