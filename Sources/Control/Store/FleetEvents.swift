/// The fleet's audit log as the store holds it (docs/fleet.md): each instance writes its
/// events to a ring of `capacity` keys of its own, `events/<instance>/<local id mod capacity>`,
/// so the store keeps at most `capacity` events per instance name and overwrites the oldest.
/// One order for every instance: the store's revision of each event's write, which becomes
/// the event's `id` in `GET /events`. Pure.
public enum FleetEvents {
    /// How many of its newest events each instance keeps in the store.
    public static let capacity = 1_000

    /// The key of the event `localID` of `instance`.
    public static func key(_ keys: FleetKeys, instance: String, localID: Int) -> [UInt8] {
        keys.event(instance, slot: localID % capacity)
    }

    /// The fleet's events in `kvs` (the copy of the store's keys), oldest first, each with
    /// the revision that wrote it as its id; a value that is not an event is left out.
    /// `decoded` holds the events of the previous call by key: a key whose revision is
    /// unchanged is not decoded again; on return it holds this call's.
    public static func list(_ keys: FleetKeys, kvs: [[UInt8]: EtcdKeyValue], decoded: inout [[UInt8]: Event]) -> [Event] {
        let prefix = keys.events
        var list: [Event] = []
        var now: [[UInt8]: Event] = [:]
        for (key, kv) in kvs where key.starts(with: prefix) {
            if let known = decoded[key], known.id == Int(kv.modRevision) {
                list.append(known)
            } else if let json = try? JSONValue(parsing: kv.value), let event = try? Event(json: json) {
                list.append(Event(id: Int(kv.modRevision), timestamp: event.timestamp, type: event.type, route: event.route,
                                  actor: event.actor, reason: event.reason, details: event.details))
            } else {
                continue
            }
            now[key] = list[list.count - 1]
        }
        decoded = now
        return list.sorted { $0.id < $1.id }
    }
}
