/// The whole content of `state.json`: `{"version": 1, "routes": {"api": {...}}}`. Routes the
/// route files no longer define may stay in it; whoever applies it ignores them.
public struct StateFile: Codable, Equatable, Sendable {
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

    enum CodingKeys: String, CodingKey {
        case version, routes
    }

    /// Runs when the state file is loaded. The version is checked before anything else, so a
    /// file from another version is reported as such rather than as some odd field.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        guard version == Self.currentVersion else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container,
                debugDescription: "unsupported version \(version) (this Sluice reads version \(Self.currentVersion))")
        }
        routes = try container.decode([String: RouteState].self, forKey: .routes)
    }
}
