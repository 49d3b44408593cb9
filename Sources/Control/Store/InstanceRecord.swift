public import Traffic

/// One instance's registration (`instances/<name>`, under its lease), rewritten once a
/// second: where it listens, when it started and was last seen, the store revision whose
/// weights it has applied, and the green weight in force per route.
public struct InstanceRecord: Hashable, Sendable {
    public var name: String
    public var admin: String
    public var listen: String
    public var startedAt: String
    public var lastSeen: String
    public var appliedRevision: Int64
    /// Green's weight per route name.
    public var weights: [String: Weight]

    public init(name: String, admin: String, listen: String, startedAt: String, lastSeen: String, appliedRevision: Int64,
                weights: [String: Weight]) {
        self.name = name
        self.admin = admin
        self.listen = listen
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.appliedRevision = appliedRevision
        self.weights = weights
    }

    /// The stored JSON; weights in basis points, the revision as a string (int64).
    public var json: JSONValue {
        ["name": .string(name), "admin": .string(admin), "listen": .string(listen), "startedAt": .string(startedAt),
         "lastSeen": .string(lastSeen), "appliedRevision": .string(String(appliedRevision)),
         "weights": .object(weights.mapValues { .number(Double($0.basisPoints)) })]
    }

    /// A stored record read back; nil when a field is missing or out of range.
    public init?(json value: JSONValue) {
        guard let name = value["name"]?.stringValue, let admin = value["admin"]?.stringValue,
              let listen = value["listen"]?.stringValue, let startedAt = value["startedAt"]?.stringValue,
              let lastSeen = value["lastSeen"]?.stringValue,
              let revision = value["appliedRevision"]?.stringValue.flatMap({ Int64($0) }),
              let weights = value["weights"]?.objectValue
        else { return nil }
        var parsed: [String: Weight] = [:]
        for (route, number) in weights {
            guard let n = number.numberValue, n.rounded() == n, let w = Weight(basisPoints: Int(n)) else { return nil }
            parsed[route] = w
        }
        self.init(name: name, admin: admin, listen: listen, startedAt: startedAt, lastSeen: lastSeen,
                  appliedRevision: revision, weights: parsed)
    }
}
