import Foundation
import Glibc
import ProxyIO
import Synchronization
import Testing
import Traffic
@testable import Control

final class Reported: Sendable {
    let list = Mutex<[ElectionAction]>([])
}

/// The election run against a real etcd: several candidates, each with its own client.
@Suite(.serialized)
struct StoreElectionTests {
    /// One candidate and what it reported.
    final class Candidate: Sendable {
        let client: StoreClient
        let election: StoreElection
        /// What `onChange` reported, in order.
        let changes: Reported

        init(_ name: String, port: UInt16, ttlSeconds: Int = 2) {
            client = StoreClient(endpoints: [SocketAddress(ip: .v4(0x7F00_0001), port: port)], requestTimeoutMs: 1_000)
            let changes = Reported()
            self.changes = changes
            election = StoreElection(client: client, instance: name,
                                     settings: LeaderElection.Settings(prefix: Array("/sluice/leader/".utf8), ttlSeconds: ttlSeconds,
                                                                       marginMs: 500, retryMs: 200),
                                     clock: { Int(DispatchTime.now().uptimeNanoseconds / 1_000_000) },
                                     onChange: { action in changes.list.withLock { $0.append(action) } })
        }

        var leads: Bool { election.fence != nil }
    }

    /// Ticks `candidates` every 10 ms until `condition` holds (within `seconds`); the seconds it took.
    @discardableResult
    private func tick(_ candidates: [Candidate], until what: String, within seconds: Double = 5, _ condition: () -> Bool) throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            for c in candidates { c.election.tick() }
            if condition() { return Date().timeIntervalSince(start) }
            usleep(10_000)
        }
        throw StoreTestFailure("not within \(seconds) s: \(what)")
    }

    @Test func theFirstCandidateLeadsAndTheNextTakesOverWhenItResigns() throws {
        let etcd = try EtcdProcess()
        let a = Candidate("a", port: etcd.clientPort), b = Candidate("b", port: etcd.clientPort)
        defer { a.client.shutdown(); b.client.shutdown() }
        a.election.start()
        try tick([a], until: "a leads") { a.leads }
        b.election.start()
        // b queues behind a for a while (its lease renewed meanwhile): it does not lead.
        #expect(throws: StoreTestFailure.self) { try tick([a, b], until: "b leads", within: 3) { b.leads } }
        #expect(a.leads && b.election.leaseID != nil)
        a.election.resign()
        let handover = try tick([b], until: "b leads after a resigned") { b.leads }
        #expect(handover < 1, "a resignation deletes the key at once: \(handover) s")
        #expect(a.changes.list.withLock { $0.last } == .steppedDown(.resigned))
        #expect(b.changes.list.withLock { $0 }.count == 1)
    }

    @Test func aDeadLeadersLeaseExpiresAndTheNextLeadsWithinTheTTLPlus2s() throws {
        let etcd = try EtcdProcess()
        let a = Candidate("a", port: etcd.clientPort), b = Candidate("b", port: etcd.clientPort)
        defer { b.client.shutdown() }
        a.election.start()
        try tick([a], until: "a leads") { a.leads }
        b.election.start()
        try tick([a, b], until: "b has its lease", { b.election.leaseID != nil })
        // a dies: no more renewals, nothing revoked.
        a.client.shutdown()
        let takeover = try tick([b], until: "b leads after a died", within: 6) { b.leads }
        #expect(takeover < 2 + 2, "TTL 2 s + 2 s: took \(takeover) s")
        // By then a's own deadline has passed: it would not write any more.
        #expect(!a.leads)
    }

    @Test func aDeposedLeadersFencedWriteFailsAndDeposesIt() throws {
        let etcd = try EtcdProcess()
        let a = Candidate("a", port: etcd.clientPort)
        let raw = StoreClient(endpoints: [SocketAddress(ip: .v4(0x7F00_0001), port: etcd.clientPort)])
        defer { a.client.shutdown(); raw.shutdown() }
        a.election.start()
        try tick([a], until: "a leads") { a.leads }
        let key = Array("/sluice/routes/api/weights".utf8)
        #expect(try write(a, [.put(key: key, value: Array("10".utf8), lease: 0)]))
        // Its lease revoked behind its back: the leadership key is gone.
        guard let lease = a.election.leaseID else { throw StoreTestFailure("no lease") }
        let done = DispatchSemaphore(value: 0)
        let revoke = EtcdRequest.leaseRevoke(id: lease)
        raw.request(revoke.path, body: revoke.bodyBytes) { _ in done.signal() }
        _ = done.wait(timeout: .now() + 5)
        #expect(try write(a, [.put(key: key, value: Array("50".utf8), lease: 0)]) == false)
        #expect(a.changes.list.withLock { $0.contains(.steppedDown(.fenced)) } && !a.leads)
        let range = EtcdRequest.range(key)
        let value = Mutex<[UInt8]?>(nil)
        raw.request(range.path, body: range.bodyBytes) { r in
            if case .success(let answer) = r, let json = try? EtcdAnswer.json(status: answer.status, body: answer.body, what: "range"),
               let kvs = try? EtcdRangeAnswer(json: json).kvs { value.withLock { $0 = kvs.first?.value } }
            done.signal()
        }
        _ = done.wait(timeout: .now() + 5)
        #expect(value.withLock { $0 } == Array("10".utf8))
        // It campaigns again with a new lease and, alone, leads again.
        try tick([a], until: "a leads again") { a.leads }
        #expect(a.election.leaseID != lease)
    }

    @Test func aFailedComparisonBesideTheFenceIsAConflictAndDeposesNobody() throws {
        let etcd = try EtcdProcess()
        let a = Candidate("a", port: etcd.clientPort)
        defer { a.client.shutdown() }
        a.election.start()
        try tick([a], until: "a leads") { a.leads }
        let key = Array("/sluice/routes/api/rollout".utf8)
        let stale = [EtcdCompare(key: key, .modRevision(999))]
        guard case .conflict = try outcome(a, [.put(key: key, value: Array("x".utf8), lease: 0)], compare: stale) else {
            throw StoreTestFailure("a failed comparison beside the fence is not a conflict")
        }
        #expect(a.leads && !a.changes.list.withLock { $0.contains(.steppedDown(.fenced)) })
        guard case .written(let revision) = try outcome(a, [.put(key: key, value: Array("y".utf8), lease: 0)],
                                                        compare: [EtcdCompare(key: key, .modRevision(0))]) else {
            throw StoreTestFailure("a write whose comparisons hold was not written")
        }
        #expect(revision > 0)
    }

    /// A fenced write of `candidate`, waited for: whether it was written.
    private func write(_ candidate: Candidate, _ operations: [EtcdOperation]) throws -> Bool {
        if case .written = try outcome(candidate, operations) { return true }
        return false
    }

    /// A fenced write of `candidate` with `compare` besides the fence, waited for.
    private func outcome(_ candidate: Candidate, _ operations: [EtcdOperation], compare: [EtcdCompare] = []) throws -> StoreElection.FencedWrite {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<StoreElection.FencedWrite?>(nil)
        candidate.election.fencedWrite(operations, compare: compare) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + 5) == .success, let result = outcome.withLock({ $0 }) else {
            throw StoreTestFailure("no answer to a fenced write")
        }
        return result
    }
}
