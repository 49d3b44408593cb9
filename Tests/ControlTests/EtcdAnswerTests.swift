import Testing
@testable import Control

/// The gateway codec over real answers of etcd 3.4 (Fixtures/etcd).
struct EtcdAnswerTests {
    private func json(_ name: String) throws -> JSONValue {
        let (status, body) = EtcdFixture.answer(name)
        return try EtcdAnswer.json(status: status, body: body, what: name)
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func anEmptyRangeHasNoKvsAndNoCount() throws {
        let range = try EtcdRangeAnswer(json: json("range-empty"))
        #expect(range == (try EtcdRangeAnswer(json: ["header": ["revision": "1"]])))
        #expect(range.revision == 1 && range.kvs.isEmpty && range.count == 0)
    }

    @Test func aRangeDecodesKeysValuesAndRevisions() throws {
        let range = try EtcdRangeAnswer(json: json("range-prefix"))
        #expect(range.revision == 3 && range.count == 1)
        #expect(range.kvs == [EtcdKeyValue(key: Array("/sluice/weights/api".utf8), value: Array(#"{"green":25}"#.utf8),
                                           createRevision: 2, modRevision: 3, version: 2)])
    }

    @Test func putsAnswerTheirRevisionAndThePreviousValueWhenAsked() throws {
        #expect(try EtcdPutAnswer(json: json("put")) == EtcdPutAnswer(json: ["header": ["revision": "2"]]))
        let put = try EtcdPutAnswer(json: json("put-prev-kv"))
        #expect(put.revision == 3)
        #expect(put.previous.map { text($0.value) } == #"{"green":10}"#)
        #expect(put.previous?.createRevision == 2 && put.previous?.version == 1 && put.previous?.lease == 0)
    }

    @Test func leaseIDsBeyond2To53AreExact() throws {
        let grant = try EtcdLeaseAnswer(grant: json("lease-grant"))
        #expect(grant.ttlSeconds == 5 && grant.id > 1 << 53)
        // The ID as etcd wrote it, digit for digit (a Double would have rounded it).
        #expect(text(EtcdFixture.raw("lease-grant")).contains(#""ID":"\#(grant.id)""#))
        let keepAlive = try EtcdLeaseAnswer(keepAlive: json("lease-keepalive"))
        #expect(keepAlive.id == grant.id && keepAlive.ttlSeconds == 5)
        let leaders = try EtcdRangeAnswer(json: json("range-leaders"))
        #expect(leaders.kvs.map(\.lease) == [grant.id])
        #expect(leaders.kvs.map { text($0.key) } == ["/sluice/leader/\(grant.id)"])
    }

    @Test func aKeepAliveOfAGoneLeaseHasNoTTL() throws {
        let answer = try EtcdLeaseAnswer(keepAlive: json("lease-keepalive-expired"))
        let grant = try EtcdLeaseAnswer(grant: json("lease-grant"))
        #expect(answer.ttlSeconds == 0 && answer.id == grant.id)
    }

    @Test func aSucceededTxnAnswersItsBranch() throws {
        let txn = try EtcdTxnAnswer(json: json("txn-succeeded"))
        #expect(txn.succeeded && txn.revision == 4)
        #expect(txn.responses == [.put(try EtcdPutAnswer(json: ["header": ["revision": "4"]]))])
    }

    @Test func aFailedTxnHasNoSucceededField() throws {
        #expect(text(EtcdFixture.answer("txn-failed").body).contains("succeeded") == false)
        let txn = try EtcdTxnAnswer(json: json("txn-failed"))
        #expect(!txn.succeeded)
        guard case .range(let range)? = txn.responses.first, txn.responses.count == 1 else {
            Issue.record("expected one range answer: \(txn.responses)")
            return
        }
        #expect(range.kvs.first?.createRevision == 4 && range.kvs.first?.lease ?? 0 > 0)
        let fenced = try EtcdTxnAnswer(json: json("txn-fenced"))
        #expect(!fenced.succeeded && fenced.responses.isEmpty)
    }

    @Test func deletesCountWhatTheyDeleted() throws {
        #expect(try EtcdDeleteAnswer(json: json("deleterange")).deleted == 1)
        #expect(try EtcdDeleteAnswer(json: json("deleterange-none")).deleted == 0)
    }

    @Test func errorsCarryStatusCodeAndMessage() throws {
        let cases: [(String, EtcdFailure)] = [
            ("error-lease-not-found", .refused(status: 404, code: 5, message: "etcdserver: requested lease not found")),
            ("error-no-key", .refused(status: 400, code: 3, message: "etcdserver: key is not provided")),
            ("error-bad-json", .refused(status: 400, code: 3, message: "unexpected EOF")),
            ("error-range-compacted", .refused(status: 400, code: 11, message: "etcdserver: mvcc: required revision has been compacted")),
        ]
        for (name, expected) in cases {
            #expect(throws: expected) { try json(name) }
        }
    }

    @Test func malformedAnswersNameWhatIsWrong() {
        #expect(throws: EtcdFailure.malformed(what: "range", reason: "count: not an int64 (\"x\")")) {
            try EtcdRangeAnswer(json: ["count": "x"])
        }
        #expect(throws: EtcdFailure.malformed(what: "range kvs[0]", reason: "key: not base64")) {
            try EtcdRangeAnswer(json: ["kvs": [["key": "!!!!"]]])
        }
        #expect(throws: EtcdFailure.malformed(what: "watch", reason: "a stream message with neither result nor error")) {
            try EtcdWatchAnswer(json: ["x": 1])
        }
    }

    @Test func watchEventsPutWithoutTypeAndDelete() throws {
        var parser = WatchStreamParser()
        let messages = try parser.feed(EtcdFixture.answer("watch-events").body).map { m throws(EtcdFailure) in try EtcdWatchAnswer(json: m) }
        #expect(messages.count == 4)
        #expect(messages[0].created && messages[0].events.isEmpty && messages[0].revision == 9)
        #expect(messages[1].events.map(\.kind) == [.put] && text(messages[1].events[0].kv.value) == #"{"green":10}"#)
        #expect(messages[1].events[0].previous == nil && messages[1].events[0].kv.version == 1)
        #expect(messages[2].events.map(\.kind) == [.put] && messages[2].events[0].previous.map { text($0.value) } == #"{"green":10}"#)
        #expect(messages[3].events.map(\.kind) == [.delete])
        #expect(messages[3].events[0].kv == EtcdKeyValue(key: Array("/sluice/weights/api".utf8), modRevision: 12))
        #expect(messages.allSatisfy { !$0.canceled })
    }

    @Test func aWatchFromACompactedRevisionIsCancelledWithTheCompactRevision() throws {
        var parser = WatchStreamParser()
        let messages = try parser.feed(EtcdFixture.answer("watch-compacted").body).map { m throws(EtcdFailure) in try EtcdWatchAnswer(json: m) }
        #expect(messages.count == 2 && messages[0].created)
        #expect(messages[1].canceled && messages[1].compactRevision == 12 && messages[1].events.isEmpty)
    }

    @Test func streamErrorsAreRefusals() {
        #expect(throws: EtcdFailure.refused(status: 503, code: 14, message: "etcdserver: no leader")) {
            try EtcdWatchAnswer(json: ["error": ["grpc_code": 14, "http_code": 503, "message": "etcdserver: no leader"]])
        }
    }
}
