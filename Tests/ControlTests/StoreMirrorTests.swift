import Foundation
import Glibc
import ProxyIO
import Synchronization
import Testing
@testable import Control

/// The mirror against a real three-member etcd cluster.
@Suite(.serialized)
struct StoreMirrorTests {
    private func clock() -> Int { Int(DispatchTime.now().uptimeNanoseconds / 1_000_000) }

    /// Sends `request` on `client`; its JSON, which must come within 10 s.
    @discardableResult
    private func call(_ client: StoreClient, _ request: EtcdRequest) throws -> JSONValue {
        try call(client, request.path, request.bodyBytes)
    }

    @discardableResult
    private func call(_ client: StoreClient, _ path: String, _ body: [UInt8]) throws -> JSONValue {
        let done = DispatchSemaphore(value: 0)
        let answer = Mutex<Result<StoreAnswer, StoreError>?>(nil)
        client.request(path, body: body) { result in
            answer.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + 10) == .success, let result = answer.withLock({ $0 }) else {
            throw StoreTestFailure("no answer to \(path)")
        }
        let response = try result.get()
        return try EtcdAnswer.json(status: response.status, body: response.body, what: path)
    }

    /// Ticks `mirror` every 10 ms until `condition` holds (5 s at most).
    private func tick(_ mirror: StoreMirror, until what: String, _ condition: () -> Bool) throws {
        for _ in 0..<500 {
            mirror.tick()
            if condition() { return }
            usleep(10_000)
        }
        throw StoreTestFailure("timed out waiting for \(what)")
    }

    private func values(_ mirror: StoreMirror) -> [String: String] {
        Dictionary(uniqueKeysWithValues: mirror.snapshot.kvs.map {
            (String(decoding: $0.key, as: UTF8.self), String(decoding: $0.value.value, as: UTF8.self))
        })
    }

    @Test func theMirrorFollowsTheStoreThroughAMemberLossAndACompaction() throws {
        let etcd = try EtcdProcess(members: 3)
        let addresses = etcd.clientPorts.map { SocketAddress(ip: .v4(0x7F00_0001), port: $0) }
        // The writer talks to the last member, the mirror to the first first.
        let writer = StoreClient(endpoints: addresses.reversed())
        let reader = StoreClient(endpoints: addresses)
        defer { writer.shutdown(); reader.shutdown() }
        let prefix = Array("/sluice/".utf8)
        try call(writer, .put(Array("/sluice/routes/api/weights".utf8), Array("10".utf8)))
        try call(writer, .put(Array("/other".utf8), Array("x".utf8)))
        let changes = Mutex<[MirrorAction]>([])
        let mirror = StoreMirror(client: reader, prefix: prefix, retryMs: 200, clock: { [self] in clock() },
                                 onChange: { action in changes.withLock { $0.append(action) } })
        mirror.start()
        try tick(mirror, until: "the first read") { mirror.isFollowing }
        #expect(values(mirror) == ["/sluice/routes/api/weights": "10"])
        try call(writer, .put(Array("/sluice/routes/api/weights".utf8), Array("20".utf8)))
        try call(writer, .put(Array("/sluice/routes/web/weights".utf8), Array("5".utf8)))
        try call(writer, .deleteRange(Array("/sluice/routes/web/weights".utf8)))
        try tick(mirror, until: "three changes") { changes.withLock { $0.count == 4 } }
        #expect(values(mirror) == ["/sluice/routes/api/weights": "20"])

        // The mirror's member dies; while its watch is down the store moves on and compacts
        // the revisions the mirror would resume from.
        etcd.stop(member: 0)
        try tick(mirror, until: "the watch ended") { !mirror.isFollowing }
        var revision: Int64 = 0
        for green in 30...32 {
            revision = try EtcdPutAnswer(json: call(writer, .put(Array("/sluice/routes/api/weights".utf8), Array("\(green)".utf8)))).revision
        }
        try call(writer, "/v3/kv/compaction", Array(#"{"revision":"\#(revision)","physical":true}"#.utf8))
        // Resumed on another member from a compacted revision: cancelled, read afresh.
        try tick(mirror, until: "the fresh read") { values(mirror)["/sluice/routes/api/weights"] == "32" && mirror.isFollowing }
        #expect(changes.withLock { $0.filter { $0 == .replaced }.count } == 2)
        #expect(mirror.snapshot.revision == revision)
        // And it follows again.
        try call(writer, .put(Array("/sluice/routes/api/weights".utf8), Array("40".utf8)))
        try tick(mirror, until: "the next change") { values(mirror)["/sluice/routes/api/weights"] == "40" }
    }
}
