/// The fleet's keys under `--store-prefix` (docs/fleet.md): one place that spells them.
public struct FleetKeys: Hashable, Sendable {
    /// The prefix every key starts with (`/sluice/`), ending in `/`.
    public let prefix: String

    /// `prefix` with a `/` added when it lacks one.
    public init(prefix: String) {
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    public var all: [UInt8] { Array(prefix.utf8) }
    /// The leadership keys' prefix.
    public var leader: [UInt8] { Array((prefix + "leader/").utf8) }
    public var instances: [UInt8] { Array((prefix + "instances/").utf8) }
    /// An instance's registration, under its lease.
    public func instance(_ name: String) -> [UInt8] { Array((prefix + "instances/" + name).utf8) }
    /// An instance's published evidence, under its lease.
    public func evidence(_ name: String) -> [UInt8] { Array((prefix + "evidence/" + name).utf8) }
    public var evidence: [UInt8] { Array((prefix + "evidence/").utf8) }
    /// The audit log's prefix.
    public var events: [UInt8] { Array((prefix + "events/").utf8) }
    /// One slot of an instance's ring of events (`FleetEvents`), under no lease.
    public func event(_ instance: String, slot: Int) -> [UInt8] { Array((prefix + "events/" + instance + "/" + String(slot)).utf8) }
    /// A route's run-time weights and stable pool, under no lease.
    public func weights(_ route: String) -> [UInt8] { Array((prefix + "routes/" + route + "/weights").utf8) }
    /// A route's rollout record, under no lease.
    public func rollout(_ route: String) -> [UInt8] { Array((prefix + "routes/" + route + "/rollout").utf8) }

    /// The route of a `routes/<route>/<leaf>` key and the leaf; nil for any other key.
    public func route(of key: [UInt8]) -> (route: String, leaf: String)? {
        let text = String(decoding: key, as: UTF8.self)
        let head = prefix + "routes/"
        guard text.hasPrefix(head), let slash = text.lastIndex(of: "/") else { return nil }
        let route = text[text.index(text.startIndex, offsetBy: head.count)..<slash]
        guard !route.isEmpty else { return nil }
        return (String(route), String(text[text.index(after: slash)...]))
    }
}
