/// The whole content of `state.json`: `{"version": 1, "routes": {"api": {...}}}`. Routes the
/// route files no longer define may stay in it; whoever applies it ignores them.
public struct StateFile: Equatable, Sendable {
    /// The only version this Sluice reads and writes.
    public static let currentVersion = 1

    /// Always `currentVersion` in a loaded or new value.
    public let version: Int
    /// Run-time state by route name.
    public var routes: [String: RouteState]

    public init(routes: [String: RouteState] = [:]) {
        version = Self.currentVersion
        self.routes = routes
    }

    /// The file's JSON.
    var json: JSONValue {
        ["version": .number(Double(version)), "routes": .object(routes.mapValues(\.json))]
    }

    /// Runs when the state file is loaded. The version is checked before anything else, so a
    /// file from another version is reported as such rather than as some odd field; members
    /// other than `version` and `routes` are ignored.
    init(json: JSONValue) throws(JSONNode.Mismatch) {
        let root = JSONNode(value: json, keyPath: "")
        version = try root["version"].integer()
        guard version == Self.currentVersion else {
            throw root["version"].mismatch("unsupported version \(version) (this Sluice reads version \(Self.currentVersion))")
        }
        var routes: [String: RouteState] = [:]
        for name in try root["routes"].object().keys {
            routes[name] = try RouteState(json: root["routes"][name])
        }
        self.routes = routes
    }
}
