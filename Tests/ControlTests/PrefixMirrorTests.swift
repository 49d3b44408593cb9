import Testing
@testable import Control

struct PrefixMirrorTests {
    private func kv(_ key: String, _ value: String, created: Int64, modified: Int64) -> EtcdKeyValue {
        EtcdKeyValue(key: Array(key.utf8), value: Array(value.utf8), createRevision: created, modRevision: modified, version: 1)
    }

    /// A watch message as the gateway writes it, with PUT events of these keys and values.
    private func answer(puts: [(key: String, value: String, modified: Int64)] = [], canceled: Bool = false) throws -> EtcdWatchAnswer {
        var result: [String: JSONValue] = ["header": ["revision": .string(String(puts.last?.modified ?? 0))]]
        if canceled { result["canceled"] = true }
        if !puts.isEmpty {
            result["events"] = .array(puts.map { p in
                ["kv": ["key": .string(Base64.encode(Array(p.key.utf8))), "value": .string(Base64.encode(Array(p.value.utf8))),
                        "create_revision": "2", "mod_revision": .string(String(p.modified)), "version": "1"]]
            })
        }
        return try EtcdWatchAnswer(json: ["result": .object(result)])
    }

    private func started(with kvs: [EtcdKeyValue], revision: Int64) throws -> PrefixMirror {
        var mirror = PrefixMirror(retryMs: 500)
        #expect(mirror.start() == [.read])
        let read = try EtcdRangeAnswer(json: ["header": ["revision": .string(String(revision))]])
        var answer = read
        answer.kvs = kvs
        #expect(mirror.readAnswered(answer) == [.replaced, .watch(fromRevision: revision + 1)])
        return mirror
    }

    @Test func aReadThenTheRecordedWatchEventsGiveTheStoresState() throws {
        var mirror = PrefixMirror()
        _ = mirror.start()
        #expect(mirror.readAnswered(try EtcdRangeAnswer(json: EtcdAnswer.json(status: 200, body: EtcdFixture.answer("range-empty").body,
                                                                               what: "range"))) == [.replaced, .watch(fromRevision: 2)])
        var parser = WatchStreamParser()
        let answers = try parser.feed(EtcdFixture.answer("watch-events").body).map { m throws(EtcdFailure) in try EtcdWatchAnswer(json: m) }
        let key = Array("/sluice/weights/api".utf8)
        var changes: [MirrorAction] = []
        var values: [[UInt8]?] = []
        for answer in answers {
            changes += mirror.watchAnswered(answer, now: 0)
            values.append(mirror.kvs[key]?.value)
        }
        #expect(changes == [.changed(keys: [key]), .changed(keys: [key]), .changed(keys: [key])])
        #expect(values == [nil, Array(#"{"green":10}"#.utf8), Array(#"{"green":20}"#.utf8), nil])
        #expect(mirror.revision == 12 && mirror.kvs.isEmpty)
    }

    @Test func aWatchCancelledForCompactionReadsAfresh() throws {
        var mirror = try started(with: [], revision: 5)
        var parser = WatchStreamParser()
        let answers = try parser.feed(EtcdFixture.answer("watch-compacted").body).map { m throws(EtcdFailure) in try EtcdWatchAnswer(json: m) }
        #expect(mirror.watchAnswered(answers[0], now: 0) == [])
        #expect(mirror.watchAnswered(answers[1], now: 0) == [.stopWatching, .read])
        var fresh = try EtcdRangeAnswer(json: ["header": ["revision": "30"]])
        fresh.kvs = [kv("/sluice/a", "1", created: 20, modified: 29)]
        #expect(mirror.readAnswered(fresh) == [.replaced, .watch(fromRevision: 31)])
        #expect(mirror.kvs.count == 1 && mirror.revision == 30)
    }

    @Test func anEndedWatchResumesAfterTheLastAppliedRevision() throws {
        var mirror = try started(with: [kv("/sluice/a", "1", created: 2, modified: 2)], revision: 3)
        #expect(mirror.watchAnswered(try answer(puts: [("/sluice/a", "2", 4)]), now: 0) == [.changed(keys: [Array("/sluice/a".utf8)])])
        #expect(mirror.watchEnded(now: 1_000) == [] && !mirror.isFollowing)
        #expect(mirror.tick(now: 1_499) == [])
        #expect(mirror.tick(now: 1_500) == [.watch(fromRevision: 5)])
        // An event the copy already has (sent again after the resume) changes nothing.
        #expect(mirror.watchAnswered(try answer(puts: [("/sluice/a", "2", 4)]), now: 1_600) == [])
        #expect(mirror.kvs[Array("/sluice/a".utf8)]?.value == Array("2".utf8))
    }

    @Test func everyEventOfOneTransactionIsApplied() throws {
        var mirror = try started(with: [], revision: 3)
        let keys = [Array("/sluice/routes/api/weights".utf8), Array("/sluice/routes/api/rollout".utf8)]
        #expect(mirror.watchAnswered(try answer(puts: [("/sluice/routes/api/weights", "w", 4), ("/sluice/routes/api/rollout", "r", 4)]),
                                     now: 0) == [.changed(keys: keys)])
        #expect(mirror.kvs.count == 2 && mirror.revision == 4)
    }

    @Test func aFailedReadIsRepeated() {
        var mirror = PrefixMirror(retryMs: 500)
        _ = mirror.start()
        #expect(mirror.readFailed(now: 100) == [])
        #expect(mirror.tick(now: 599) == [] && mirror.tick(now: 600) == [.read])
    }

    @Test func anotherCancellationWatchesAgain() throws {
        var mirror = try started(with: [], revision: 3)
        #expect(mirror.watchAnswered(try answer(canceled: true), now: 0) == [.stopWatching])
        #expect(mirror.tick(now: 500) == [.watch(fromRevision: 4)])
    }
}
