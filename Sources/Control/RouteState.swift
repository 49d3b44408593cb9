public import ProxyIO
public import Traffic

/// What Sluice changed about one route at run time, persisted so that it survives restarts and
/// reloads and wins over the route file's `weights`. Stored in JSON as
/// `{"greenWeight": 1000, "stable": "blue", "rollout": {...}, "updatedAt": "...", "updatedBy": "ci"}`.
public struct RouteState: Equatable, Sendable {
    /// Green's share; blue gets the rest. In the file as basis points (1000 = 10%).
    public var greenWeight: Weight
    /// The pool that holds the released version; in the file as `"blue"` or `"green"`.
    public var stable: Pool
    /// The rollout engine's own snapshot (state, step, time already held, evidence so far),
    /// stored exactly as given and never read by the store; nil when no rollout has run.
    /// Absent from the file when nil.
    public var rollout: [String: JSONValue]?
    /// When this state was set, as `Timestamp.now()` writes it.
    public var updatedAt: String
    /// Who set it: the admin token's name, `"reload"`, `"rollout"`, ...
    public var updatedBy: String

    public init(greenWeight: Weight, stable: Pool, rollout: [String: JSONValue]? = nil,
                updatedAt: String = Timestamp.now(), updatedBy: String) {
        self.greenWeight = greenWeight
        self.stable = stable
        self.rollout = rollout
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// The route's entry in the state file; `rollout` left out when nil.
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "greenWeight": .number(Double(greenWeight.basisPoints)), "stable": .string(stable.name),
            "updatedAt": .string(updatedAt), "updatedBy": .string(updatedBy),
        ]
        if let rollout { object["rollout"] = .object(rollout) }
        return .object(object)
    }

    /// Runs when the state file is loaded; a weight outside 0...10000 or a pool other than
    /// blue/green is an error at its key path, never clamped or guessed. A null `rollout` is
    /// none; other members are ignored.
    init(json node: JSONNode) throws(JSONNode.Mismatch) {
        let basisPoints = try node["greenWeight"].integer()
        guard let weight = Weight(basisPoints: basisPoints) else {
            throw node["greenWeight"].mismatch("\(basisPoints) is not a weight in basis points (0...10000)")
        }
        let poolName = try node["stable"].string()
        guard let pool = Pool(name: poolName) else {
            throw node["stable"].mismatch("\"\(poolName)\" is not a pool (blue or green)")
        }
        greenWeight = weight
        stable = pool
        rollout = try node["rollout"].present?.object()
        updatedAt = try node["updatedAt"].string()
        updatedBy = try node["updatedBy"].string()
    }
}
