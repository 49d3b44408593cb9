/// One line of the audit log (`events.jsonl`, `GET /events`):
/// `{"actor": "ci", "details": {"from": 0, "to": 1000}, "id": 7, "reason": "smoke test passed",
/// "route": "api", "timestamp": "2025-05-01T10:00:00.123Z", "type": "weights"}`.
/// `route` and `reason` are left out when there is none. Made only by `EventStore.append`.
public struct Event: Equatable, Sendable {
    /// 1, 2, 3, ... in the order of the log, never reused, also across restarts.
    public let id: Int
    /// When it was appended, as `Timestamp.now()` writes it.
    public let timestamp: String
    public let type: EventType
    /// The route concerned; nil for Sluice-wide events (start, reload).
    public let route: String?
    /// Who: the admin token's name, or `"sluice"` for what Sluice decided itself.
    public let actor: String
    /// Why, in words, when there is more to say than the type.
    public let reason: String?
    /// The figures: weights before and after, the judge's statistics, the backend, ...
    public let details: [String: JSONValue]

    init(id: Int, timestamp: String, type: EventType, route: String?, actor: String, reason: String?,
         details: [String: JSONValue]) {
        self.id = id
        self.timestamp = timestamp
        self.type = type
        self.route = route
        self.actor = actor
        self.reason = reason
        self.details = details
    }
}

extension Event {
    /// The event as its log line and `GET /events` show it; `route` and `reason` left out
    /// when nil.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .number(Double(id)), "timestamp": .string(timestamp), "type": .string(type.rawValue),
            "actor": .string(actor), "details": .object(details),
        ]
        if let route { object["route"] = .string(route) }
        if let reason { object["reason"] = .string(reason) }
        return .object(object)
    }

    /// Reads a line of the log back (at start); throws for anything that is not an event as
    /// `json` writes it (a null `route` or `reason` counts as none; other members are ignored).
    init(json: JSONValue) throws(JSONNode.Mismatch) {
        let node = JSONNode(value: json, keyPath: "")
        let typeNode = node["type"]
        guard let type = EventType(rawValue: try typeNode.string()) else { throw typeNode.mismatch("not an event type") }
        self.init(id: try node["id"].integer(), timestamp: try node["timestamp"].string(), type: type,
                  route: try node["route"].present?.string(), actor: try node["actor"].string(),
                  reason: try node["reason"].present?.string(), details: try node["details"].object())
    }
}
