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
    /// A route's run-time weights, under no lease.
    public func weights(_ route: String) -> [UInt8] { Array((prefix + "routes/" + route + "/weights").utf8) }

    /// The route whose weights key `key` is; nil for any other key.
    public func route(ofWeights key: [UInt8]) -> String? {
        let text = String(decoding: key, as: UTF8.self)
        let head = prefix + "routes/", tail = "/weights"
        guard text.hasPrefix(head), text.hasSuffix(tail), text.count > head.count + tail.count else { return nil }
        return String(text.dropFirst(head.count).dropLast(tail.count))
    }
}
