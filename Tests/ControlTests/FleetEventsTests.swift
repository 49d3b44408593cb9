import Testing
@testable import Control

/// The fleet's audit log in the store: its keys, its one order, and the outbox that writes it.
struct FleetEventsTests {
    private let keys = FleetKeys(prefix: "/sluice")

    private func event(_ id: Int, _ type: EventType = .weights, instance: String) -> Event {
        Event(id: id, timestamp: "2026-12-05T08:00:00.000Z", type: type, route: "app", actor: "ci", reason: nil,
              details: ["instance": .string(instance)])
    }

    private func kv(_ event: Event, instance: String, mod: Int64) throws -> EtcdKeyValue {
        EtcdKeyValue(key: FleetEvents.key(keys, instance: instance, localID: event.id), value: try event.json.encoded(),
                     createRevision: mod, modRevision: mod, version: 1, lease: 0)
    }

    @Test func eachInstanceWritesARingOfKeysUnderEvents() {
        #expect(String(decoding: FleetEvents.key(keys, instance: "s0", localID: 7), as: UTF8.self) == "/sluice/events/s0/7")
        #expect(FleetEvents.key(keys, instance: "s0", localID: 7 + FleetEvents.capacity) == FleetEvents.key(keys, instance: "s0", localID: 7))
        #expect(FleetEvents.key(keys, instance: "s1", localID: 7) != FleetEvents.key(keys, instance: "s0", localID: 7))
        #expect(keys.route(of: keys.event("s0", slot: 1)) == nil)
    }

    @Test func theFleetsEventsAreInTheOrderOfTheirWritesWithTheRevisionAsID() throws {
        // s0's local ids 1, 2 and s1's local id 1, interleaved in the store; other keys and junk left out.
        let kvs = [
            try kv(event(2, .rollout, instance: "s0"), instance: "s0", mod: 31),
            try kv(event(1, instance: "s1"), instance: "s1", mod: 20),
            try kv(event(1, .revert, instance: "s0"), instance: "s0", mod: 12),
            EtcdKeyValue(key: keys.event("s2", slot: 0), value: Array("{".utf8), modRevision: 40),
            EtcdKeyValue(key: keys.instance("s0"), value: Array("{}".utf8), modRevision: 50),
        ]
        var decoded: [[UInt8]: Event] = [:]
        let list = FleetEvents.list(keys, kvs: Dictionary(uniqueKeysWithValues: kvs.map { ($0.key, $0) }), decoded: &decoded)
        #expect(list.map(\.id) == [12, 20, 31])
        #expect(list.map(\.type) == [.revert, .weights, .rollout])
        #expect(list.map { $0.details["instance"] } == [.string("s0"), .string("s1"), .string("s0")])
        #expect(decoded.count == 3)
        #expect(FleetEvents.list(keys, kvs: [:], decoded: &decoded).isEmpty && decoded.isEmpty)
    }

    @Test func anEventDecodedBeforeIsReusedUntilItsKeyIsOverwritten() throws {
        let first = try kv(event(1, instance: "s0"), instance: "s0", mod: 5)
        var decoded: [[UInt8]: Event] = [:]
        _ = FleetEvents.list(keys, kvs: [first.key: first], decoded: &decoded)
        // A stale decoding under the same revision is served as it is: not decoded again.
        let marked = Event(id: 5, timestamp: "cached", type: .weights, route: "app", actor: "ci", reason: nil, details: [:])
        decoded[first.key] = marked
        #expect(FleetEvents.list(keys, kvs: [first.key: first], decoded: &decoded) == [marked])
        // The slot overwritten (the ring came round): a new revision, decoded afresh.
        let overwritten = try kv(event(1 + FleetEvents.capacity, .abort, instance: "s0"), instance: "s0", mod: 9)
        #expect(overwritten.key == first.key)
        #expect(FleetEvents.list(keys, kvs: [first.key: overwritten], decoded: &decoded).map(\.type) == [.abort])
        #expect(decoded[first.key]?.id == 9)
    }

    @Test func theOutboxWritesOneAtATimeInOrderAndRetriesAFailedWrite() {
        let a = EventOutbox.Put(key: [1], value: [1]), b = EventOutbox.Put(key: [2], value: [2])
        var outbox = EventOutbox(capacity: 2)
        #expect(outbox.add(a) == (true, a))
        #expect(outbox.add(b) == (true, nil))  // a is being written
        #expect(outbox.tick() == nil)
        #expect(outbox.written(false) == nil)  // a failed: it stays first
        #expect(outbox.waiting == [a, b])
        #expect(outbox.tick() == a)
        #expect(outbox.written(true) == b)
        #expect(outbox.written(true) == nil)
        #expect(outbox.waiting.isEmpty && !outbox.writing)
        #expect(outbox.written(true) == nil)  // no write under way: nothing changes
    }

    @Test func aFullOutboxRefusesTheNewestEvent() {
        let a = EventOutbox.Put(key: [1], value: [1]), b = EventOutbox.Put(key: [2], value: [2])
        var outbox = EventOutbox(capacity: 1)
        #expect(outbox.add(a) == (true, a))
        #expect(outbox.add(b) == (false, nil))
        #expect(outbox.waiting == [a])
    }
}
