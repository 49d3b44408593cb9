/// One line of the audit log (`events.jsonl`, `GET /events`):
/// `{"actor": "ci", "details": {"from": 0, "to": 1000}, "id": 7, "reason": "smoke test passed",
/// "route": "api", "timestamp": "2025-05-01T10:00:00.123Z", "type": "weights"}`.
/// `route` and `reason` are left out when there is none. Made only by `EventStore.append`.
public struct Event: Codable, Equatable, Sendable {
    /// 1, 2, 3, ... in the order of the log, never reused, also across restarts.
    public let id: Int
    /// When it was appended, as `WallClock.now()` writes it.
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
