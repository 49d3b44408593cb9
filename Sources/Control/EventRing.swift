/// The newest events of the log in memory, oldest first, at most `capacity`: when full, an
/// append overwrites the oldest. Ids increase strictly along the ring, so a `since` query is
/// a binary search. Not thread-safe; `EventStore` keeps it under its mutex.
struct EventRing {
    let capacity: Int
    private var storage: [Event]
    /// Where the oldest event is in `storage` once it is full (0 until then).
    private var head = 0
    /// The id of the newest event ever appended or loaded, even if it left the ring; 0 for none.
    private(set) var latestID: Int

    /// `events` are the newest of the log, oldest first, with strictly increasing ids; only
    /// the last `capacity` are kept.
    init(capacity: Int, events: [Event]) {
        precondition(capacity > 0, "an event ring holds at least one event")
        self.capacity = capacity
        storage = Array(events.suffix(capacity))
        storage.reserveCapacity(capacity)
        latestID = events.last?.id ?? 0
    }

    /// Adds `event`, whose id must be above `latestID`, dropping the oldest when full.
    mutating func append(_ event: Event) {
        precondition(event.id > latestID, "event ids must increase")
        if storage.count < capacity {
            storage.append(event)
        } else {
            storage[head] = event
            head = (head + 1) % capacity
        }
        latestID = event.id
    }

    /// The events with an id above `id`, oldest first, at most `limit` of them. Events that
    /// left the ring are not returned: the caller sees a gap in the ids.
    func events(since id: Int, limit: Int) -> [Event] {
        guard limit > 0 else { return [] }
        var low = 0, high = storage.count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].id <= id { low = middle + 1 } else { high = middle }
        }
        return (low..<low + min(storage.count - low, limit)).map { self[$0] }
    }

    /// The `index`-th oldest event held.
    private subscript(index: Int) -> Event {
        storage[(head + index) % storage.count]
    }
}
