/// The events an instance has yet to write to the store, oldest first, written one at a
/// time so that the store gets them in the instance's order. A write that fails stays first
/// and is tried again on the next tick; the event is in the local log meanwhile. At most
/// `capacity` wait: a newer one is then refused (the caller logs it). Pure.
public struct EventOutbox: Sendable {
    /// A key and value to put.
    public struct Put: Hashable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]
    }

    public let capacity: Int
    public private(set) var waiting: [Put] = []
    /// Whether the first of `waiting` is being written.
    public private(set) var writing = false

    public init(capacity: Int) {
        precondition(capacity > 0, "an outbox holds at least one event")
        self.capacity = capacity
    }

    /// A new event: what to write now, if nothing is being written; nil otherwise. False in
    /// `accepted` when the outbox is full and `put` was refused.
    public mutating func add(_ put: Put) -> (accepted: Bool, send: Put?) {
        guard waiting.count < capacity else { return (false, nil) }
        waiting.append(put)
        return (true, startNext())
    }

    /// The write under way ended: on success the next waiting event is what to write now;
    /// on failure it waits for `tick`.
    public mutating func written(_ succeeded: Bool) -> Put? {
        guard writing else { return nil }
        writing = false
        guard succeeded else { return nil }
        waiting.removeFirst()
        return startNext()
    }

    /// Once in a while (every 250 ms): the first waiting event, to try again, if none is
    /// being written.
    public mutating func tick() -> Put? { startNext() }

    private mutating func startNext() -> Put? {
        guard !writing, let first = waiting.first else { return nil }
        writing = true
        return first
    }
}
