import Traffic

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

    /// Registered instances, by name.
    public private(set) var instances: [String: InstanceRecord] = [:]
    /// The instance whose leadership key has the lowest create revision; nil when none.
    public private(set) var leader: String?
    /// Shared weights by route name (keys that do not read as weights are left out).
    public private(set) var weights: [String: SharedWeights] = [:]

    public init(keys: FleetKeys, kvs: [[UInt8]: EtcdKeyValue]) {
        let instancePrefix = keys.instances, leaderPrefix = keys.leader
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
            } else if let route = keys.route(ofWeights: kv.key), let shared = Self.weights(kv) {
                weights[route] = shared
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

    private static func weights(_ kv: EtcdKeyValue) -> SharedWeights? {
        guard let json = try? JSONValue(parsing: kv.value),
              let state = try? RouteState(json: JSONNode(value: json, keyPath: "")) else { return nil }
        return SharedWeights(state: state, modRevision: kv.modRevision, instance: json["instance"]?.stringValue ?? "")
    }
}
