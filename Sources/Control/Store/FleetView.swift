public import Traffic
import ProxyIO

/// What an instance knows of the fleet from its copy of the store's keys (`PrefixMirror`):
/// the registered instances, the leader, and each route's shared run-time weights. Pure.
public struct FleetView: Sendable {
    /// One route's shared weights and the revision that last wrote them.
    public struct SharedWeights: Equatable, Sendable {
        public var state: RouteState
        public var modRevision: Int64
        /// The instance that wrote them.
        public var instance: String
    }

    /// One route's shared rollout record and the revision that last wrote it.
    public struct SharedRollout: Sendable {
        public var stable: Pool
        /// The state file's rollout record (`RolloutRecord`); nil when no rollout has run.
        public var record: [String: JSONValue]?
        public var modRevision: Int64
        /// The process that wrote it (`FleetLink.writer`).
        public var writer: String
    }

    /// Registered instances, by name.
    public private(set) var instances: [String: InstanceRecord] = [:]
    /// The instance whose leadership key has the lowest create revision; nil when none.
    public private(set) var leader: String?
    /// Shared weights by route name (keys that do not read as weights are left out).
    public private(set) var weights: [String: SharedWeights] = [:]
    /// Shared rollouts by route name.
    public private(set) var rollouts: [String: SharedRollout] = [:]
    /// Every live instance's latest published evidence.
    public private(set) var evidence: [FleetEvidence.Reading] = []

    public init(keys: FleetKeys, kvs: [[UInt8]: EtcdKeyValue]) {
        let instancePrefix = keys.instances, leaderPrefix = keys.leader, evidencePrefix = keys.evidence
        var lowest: Int64 = .max
        for kv in kvs.values {
            if kv.key.starts(with: instancePrefix) {
                if let json = try? JSONValue(parsing: kv.value), let record = InstanceRecord(json: json) {
                    instances[record.name] = record
                }
            } else if kv.key.starts(with: leaderPrefix) {
                if kv.createRevision < lowest {
                    lowest = kv.createRevision
                    leader = String(decoding: kv.value, as: UTF8.self)
                }
            } else if kv.key.starts(with: evidencePrefix) {
                if let json = try? JSONValue(parsing: kv.value), let reading = EvidenceRecord.decode(json) { evidence.append(reading) }
            } else if let (route, leaf) = keys.route(of: kv.key) {
                if leaf == "weights", let shared = Self.weights(kv) { weights[route] = shared }
                if leaf == "rollout", let shared = Self.rollout(kv) { rollouts[route] = shared }
            }
        }
    }

    /// The value written at `routes/<route>/weights`: the state file's entry plus the
    /// writing instance.
    public static func weightsValue(_ state: RouteState, instance: String) -> [UInt8] {
        guard case .object(var object) = state.json else { return [] }
        object["instance"] = .string(instance)
        return (try? JSONValue.object(object).encoded()) ?? []
    }

    /// The value written at `routes/<route>/rollout`: the stable pool, the rollout record
    /// (null for none) and the writing process.
    public static func rolloutValue(stable: Pool, record: [String: JSONValue]?, writer: String) -> [UInt8] {
        let value: JSONValue = ["stable": .string(stable.name), "rollout": record.map(JSONValue.object) ?? .null,
                                "writer": .string(writer), "updatedAt": .string(Timestamp.now())]
        return (try? value.encoded()) ?? []
    }

    private static func rollout(_ kv: EtcdKeyValue) -> SharedRollout? {
        guard let json = try? JSONValue(parsing: kv.value), let stable = json["stable"]?.stringValue.flatMap(Pool.init(name:)),
              let writer = json["writer"]?.stringValue else { return nil }
        return SharedRollout(stable: stable, record: json["rollout"]?.objectValue, modRevision: kv.modRevision, writer: writer)
    }

    private static func weights(_ kv: EtcdKeyValue) -> SharedWeights? {
        guard let json = try? JSONValue(parsing: kv.value),
              let state = try? RouteState(json: JSONNode(value: json, keyPath: "")) else { return nil }
        return SharedWeights(state: state, modRevision: kv.modRevision, instance: json["instance"]?.stringValue ?? "")
    }
}
