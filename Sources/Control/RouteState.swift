public import Traffic

/// What Sluice changed about one route at run time, persisted so that it survives restarts and
/// reloads and wins over the route file's `weights`. Stored in JSON as
/// `{"greenWeight": 1000, "stable": "blue", "rollout": {...}, "updatedAt": "...", "updatedBy": "ci"}`.
public struct RouteState: Codable, Equatable, Sendable {
    /// Green's share; blue gets the rest. In the file as basis points (1000 = 10%).
    public var greenWeight: Weight
    /// The pool that holds the released version; in the file as `"blue"` or `"green"`.
    public var stable: Pool
    /// The rollout engine's own snapshot (state, step, time already held, evidence so far),
    /// stored exactly as given and never read by the store; nil when no rollout has run.
    /// Absent from the file when nil.
    public var rollout: [String: JSONValue]?
    /// When this state was set, as `WallClock.now()` writes it.
    public var updatedAt: String
    /// Who set it: the admin token's name, `"reload"`, `"rollout"`, ...
    public var updatedBy: String

    public init(greenWeight: Weight, stable: Pool, rollout: [String: JSONValue]? = nil,
                updatedAt: String = WallClock.now(), updatedBy: String) {
        self.greenWeight = greenWeight
        self.stable = stable
        self.rollout = rollout
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    enum CodingKeys: String, CodingKey {
        case greenWeight, stable, rollout, updatedAt, updatedBy
    }

    /// Runs when the state file is loaded; a weight outside 0...10000 or a pool other than
    /// blue/green is an error at its key path, never clamped or guessed.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let basisPoints = try container.decode(Int.self, forKey: .greenWeight)
        guard let weight = Weight(basisPoints: basisPoints) else {
            throw DecodingError.dataCorruptedError(forKey: .greenWeight, in: container,
                debugDescription: "\(basisPoints) is not a weight in basis points (0...10000)")
        }
        let poolName = try container.decode(String.self, forKey: .stable)
        guard let pool = Pool(name: poolName) else {
            throw DecodingError.dataCorruptedError(forKey: .stable, in: container,
                debugDescription: "\"\(poolName)\" is not a pool (blue or green)")
        }
        greenWeight = weight
        stable = pool
        rollout = try container.decodeIfPresent([String: JSONValue].self, forKey: .rollout)
        updatedAt = try container.decode(String.self, forKey: .updatedAt)
        updatedBy = try container.decode(String.self, forKey: .updatedBy)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(greenWeight.basisPoints, forKey: .greenWeight)
        try container.encode(stable.name, forKey: .stable)
        try container.encodeIfPresent(rollout, forKey: .rollout)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(updatedBy, forKey: .updatedBy)
    }
}
