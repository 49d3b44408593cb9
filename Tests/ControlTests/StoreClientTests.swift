import Foundation
import Glibc
import ProxyIO
import Synchronization
import Testing
import Traffic
@testable import Control

/// The store client against a real etcd started by each test.
@Suite(.serialized)
struct StoreClientTests {
    private func address(_ port: UInt16) -> SocketAddress { SocketAddress(ip: .v4(0x7F00_0001), port: port) }

    /// Sends `request` and waits (10 s at most) for its answer.
    private func call(_ client: StoreClient, _ request: EtcdRequest) throws -> Result<StoreAnswer, StoreError> {
        let done = DispatchSemaphore(value: 0)
        let answer = Mutex<Result<StoreAnswer, StoreError>?>(nil)
        client.request(request.path, body: request.bodyBytes) { result in
            answer.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + 10) == .success, let result = answer.withLock({ $0 }) else {
            throw StoreTestFailure("no answer to \(request.path) within 10 s")
        }
        return result
    }

    /// The JSON answer of `request`, which must succeed.
    private func json(_ client: StoreClient, _ request: EtcdRequest) throws -> JSONValue {
        let answer = try call(client, request).get()
        return try EtcdAnswer.json(status: answer.status, body: answer.body, what: request.path)
    }

    @Test func requestsGoOverOneKeptAliveConnection() throws {
        let etcd = try EtcdProcess()
        let client = StoreClient(endpoints: [address(etcd.clientPort)])
        defer { client.shutdown() }
        let key = Array("/sluice/weights/api".utf8)
        for green in 1...20 {
            let put = try EtcdPutAnswer(json: json(client, .put(key, Array("{\"green\":\(green)}".utf8))))
            #expect(put.revision == Int64(green + 1))
        }
        let range = try EtcdRangeAnswer(json: json(client, .range(Array("/sluice/".utf8), end: EtcdRequest.prefixEnd(Array("/sluice/".utf8)))))
        #expect(range.kvs.map { String(decoding: $0.value, as: UTF8.self) } == [#"{"green":20}"#] && range.kvs[0].version == 20)
        // All of them on one connection.
        #expect(tcpConnectionsOfThisProcess(toPort: etcd.clientPort) == 1)
    }

    @Test func aLeaseIsGrantedKeptAliveAndRevokedAndACampaignTxnRunsOnce() throws {
        let etcd = try EtcdProcess()
        let client = StoreClient(endpoints: [address(etcd.clientPort)])
        defer { client.shutdown() }
        let grant = try EtcdLeaseAnswer(grant: json(client, .leaseGrant(ttlSeconds: 5)))
        #expect(grant.ttlSeconds == 5 && grant.id != 0)
        let key = Array("/sluice/leader/\(grant.id)".utf8)
        let campaign = EtcdRequest.txn([EtcdCompare(key: key, .createRevision(0))], success: [.put(key: key, value: Array("a".utf8), lease: grant.id)],
                                       failure: [.range(key: key, end: nil)])
        let first = try EtcdTxnAnswer(json: json(client, campaign))
        let second = try EtcdTxnAnswer(json: json(client, campaign))
        #expect(first.succeeded && !second.succeeded)
        guard case .range(let existing)? = second.responses.first else { throw StoreTestFailure("no range in \(second)") }
        #expect(existing.kvs.first?.createRevision == first.revision && existing.kvs.first?.lease == grant.id)
        // The keepalive is one message of the gateway's stream; its answer is chunked.
        let kept = try EtcdLeaseAnswer(keepAlive: json(client, .leaseKeepAlive(id: grant.id)))
        #expect(kept.id == grant.id && kept.ttlSeconds == 5)
        _ = try json(client, .leaseRevoke(id: grant.id))
        #expect(try EtcdLeaseAnswer(keepAlive: json(client, .leaseKeepAlive(id: grant.id))).ttlSeconds == 0)
        #expect(try EtcdRangeAnswer(json: json(client, .range(key))).kvs.isEmpty)
        // A refusal comes back as etcd's error.
        let answer = try call(client, .put(key, [1], lease: grant.id)).get()
        #expect(throws: EtcdFailure.refused(status: 404, code: 5, message: "etcdserver: requested lease not found")) {
            try EtcdAnswer.json(status: answer.status, body: answer.body, what: "put")
        }
    }

    @Test func aWriteConditionedOnTheModRevisionFailsAfterAnotherWrite() throws {
        let etcd = try EtcdProcess()
        let client = StoreClient(endpoints: [address(etcd.clientPort)])
        defer { client.shutdown() }
        let key = Array("/sluice/routes/api/weights".utf8)
        let first = try EtcdPutAnswer(json: json(client, .put(key, Array("10".utf8))))
        let write = { (value: String) in
            EtcdRequest.txn([EtcdCompare(key: key, .modRevision(first.revision))], success: [.put(key: key, value: Array(value.utf8), lease: 0)])
        }
        #expect(try EtcdTxnAnswer(json: json(client, write("20"))).succeeded)
        #expect(try !EtcdTxnAnswer(json: json(client, write("30"))).succeeded)
        let deleted = try EtcdTxnAnswer(json: json(client, .txn([EtcdCompare(key: key, .value(Array("20".utf8)))],
                                                             success: [.deleteRange(key: key, end: nil)])))
        guard case .deleteRange(let delete)? = deleted.responses.first else { throw StoreTestFailure("no delete in \(deleted)") }
        #expect(deleted.succeeded && delete.deleted == 1)
    }

    @Test func aWatchStreamsPutsAndDeletesUntilCancelled() throws {
        let etcd = try EtcdProcess()
        let client = StoreClient(endpoints: [address(etcd.clientPort)])
        defer { client.shutdown() }
        let prefix = Array("/sluice/".utf8)
        let received = Mutex<(parser: WatchStreamParser, answers: [EtcdWatchAnswer], status: Int, ended: Bool)>((WatchStreamParser(), [], 0, false))
        let id = client.watch("/v3/watch", body: EtcdRequest.watch(prefix, end: EtcdRequest.prefixEnd(prefix), prevKV: true).bodyBytes,
                              onHead: { status in received.withLock { $0.status = status } },
                              onData: { data in
                                  received.withLock { r in
                                      let messages = (try? r.parser.feed(data)) ?? []
                                      r.answers += messages.compactMap { try? EtcdWatchAnswer(json: $0) }
                                  }
                              },
                              onEnd: { _ in received.withLock { $0.ended = true } })
        try waitFor("the watch is created") { received.withLock { $0.answers.first?.created == true } }
        let key = Array("/sluice/weights/api".utf8)
        _ = try json(client, .put(key, Array("10".utf8)))
        _ = try json(client, .put(key, Array("20".utf8)))
        _ = try json(client, .deleteRange(key))
        try waitFor("three events") { received.withLock { $0.answers.flatMap(\.events).count == 3 } }
        let events = received.withLock { $0.answers.flatMap(\.events) }
        #expect(events.map(\.kind) == [.put, .put, .delete])
        #expect(events.map { String(decoding: $0.kv.value, as: UTF8.self) } == ["10", "20", ""])
        #expect(events[1].previous.map { String(decoding: $0.value, as: UTF8.self) } == "10")
        #expect(received.withLock { $0.status } == 200)
        client.cancel(watch: id)
        _ = try json(client, .put(key, Array("30".utf8)))
        usleep(300_000)
        #expect(received.withLock { $0.answers.flatMap(\.events).count == 3 && !$0.ended })
    }

    @Test func aWatchEndsWithAFailureWhenTheStoreDies() throws {
        let etcd = try EtcdProcess()
        let client = StoreClient(endpoints: [address(etcd.clientPort)])
        defer { client.shutdown() }
        let ended = Mutex<StoreError??>(nil)
        let created = Mutex(false)
        _ = client.watch("/v3/watch", body: EtcdRequest.watch(Array("/x".utf8)).bodyBytes, onHead: { _ in created.withLock { $0 = true } },
                         onData: { _ in }, onEnd: { error in ended.withLock { $0 = .some(error) } })
        try waitFor("the watch's head") { created.withLock { $0 } }
        etcd.stop()
        try waitFor("the watch's end") { ended.withLock { $0 != nil } }
        guard case .failed?? = ended.withLock({ $0 }) else { throw StoreTestFailure("ended with \(String(describing: ended.withLock { $0 }))") }
    }

    @Test func requestsFailOverToTheNextMember() throws {
        let etcd = try EtcdProcess()
        let dead = EtcdProcess.freePort()
        let client = StoreClient(endpoints: [address(dead), address(etcd.clientPort)])
        defer { client.shutdown() }
        #expect(client.failovers == 0)
        for _ in 0..<3 { _ = try json(client, .range(Array("/a".utf8))) }
        #expect(client.failovers == 1, "it left the dead member once, then stayed on the live one")
        let alone = StoreClient(endpoints: [address(dead), address(EtcdProcess.freePort())])
        defer { alone.shutdown() }
        guard case .failure(.unreachable(let failures)) = try call(alone, .range(Array("/a".utf8))) else {
            throw StoreTestFailure("a store with no member answered")
        }
        #expect(failures.count == 2 && failures[0].hasPrefix("127.0.0.1:\(dead): "))
    }

    @Test func losingTheMemberInUseOfAThreeMemberClusterChangesNothing() throws {
        let etcd = try EtcdProcess(members: 3)
        let client = StoreClient(endpoints: etcd.clientPorts.map(address))
        defer { client.shutdown() }
        let key = Array("/sluice/weights/api".utf8)
        _ = try json(client, .put(key, Array("10".utf8)))
        // The client talks to the first member; it dies. If it led the cluster's raft, the
        // others elect a new leader first (about a second): a write sent meanwhile times out
        // (sent, so not repeated: the caller retries). Then every request is answered again.
        etcd.stop(member: 0)
        var results: [Bool] = []
        var timeouts = 0
        for green in 11...40 {
            switch try call(client, .put(key, Array("\(green)".utf8))) {
            case .success(let answer):
                #expect(answer.status == 200)
                results.append(true)
            case .failure(.failed(_, "timed out")):
                timeouts += 1
                results.append(false)
            case .failure(let error):
                Issue.record("a failure other than a timeout during the re-election: \(error)")
                results.append(false)
            }
        }
        #expect(timeouts <= 2 && results.suffix(25).allSatisfy { $0 }, "\(results)")
        let range = try EtcdRangeAnswer(json: json(client, .range(key)))
        #expect(range.kvs.first?.value == Array("40".utf8))
    }

    @Test func aMemberThatNeverAnswersTimesOut() throws {
        let (fd, port) = silentListener()
        defer { close(fd) }
        let client = StoreClient(endpoints: [address(port)], requestTimeoutMs: 500)
        defer { client.shutdown() }
        guard case .failure(.failed(_, let reason)) = try call(client, .range(Array("/a".utf8))) else {
            throw StoreTestFailure("a silent member answered")
        }
        #expect(reason == "timed out")
    }

    @Test func aWatchWhoseMemberNeverAnswersMovesTheClientOn() throws {
        let (fd, port) = silentListener()
        defer { close(fd) }
        let etcd = try EtcdProcess()
        let client = StoreClient(endpoints: [address(port), address(etcd.clientPort)], requestTimeoutMs: 500)
        defer { client.shutdown() }
        let ended = DispatchSemaphore(value: 0)
        let watch = EtcdRequest.watch(Array("/a".utf8))
        _ = client.watch(watch.path, body: watch.bodyBytes, onHead: { _ in }, onData: { _ in }, onEnd: { _ in ended.signal() })
        #expect(ended.wait(timeout: .now() + 5) == .success)
        #expect(client.failovers == 1)
        // The next request goes to the member that answers.
        _ = try json(client, .range(Array("/a".utf8)))
        #expect(client.failovers == 1)
    }

    @Test func shutdownFailsWhatIsPending() throws {
        let (fd, port) = silentListener()
        defer { close(fd) }
        let client = StoreClient(endpoints: [address(port)], requestTimeoutMs: 60_000)
        let results = Mutex<[Result<StoreAnswer, StoreError>]>([])
        for _ in 0..<3 { client.request("/v3/kv/range", body: []) { r in results.withLock { $0.append(r) } } }
        let ended = Mutex<StoreError??>(nil)
        _ = client.watch("/v3/watch", body: [], onHead: { _ in }, onData: { _ in }, onEnd: { e in ended.withLock { $0 = .some(e) } })
        usleep(100_000)
        client.shutdown()
        #expect(results.withLock { $0.map { r in if case .failure(.shutDown) = r { true } else { false } } } == [true, true, true])
        #expect(ended.withLock { $0 } == .some(.shutDown))
    }

    /// A loopback socket that listens but never accepts: connects succeed, nothing answers.
    private func silentListener() -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 8)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, UInt16(bigEndian: sin.sin_port))
    }

    /// How many established TCP connections of this process go to loopback port `port`: its
    /// socket inodes (/proc/self/fd) matched against /proc/net/tcp.
    private func tcpConnectionsOfThisProcess(toPort port: UInt16) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let inodes = Set(fds.compactMap { fd -> String? in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
                  target.hasPrefix("socket:[") else { return nil }
            return String(target.dropFirst(8).dropLast())
        })
        // (Read to the end: a /proc file has no size, and a sized read stops after one page.)
        let table = String(decoding: FileHandle(forReadingAtPath: "/proc/net/tcp")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        let remote = String(format: ":%04X", port)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 9 && fields[2].hasSuffix(remote) && fields[3] == "01" && inodes.contains(String(fields[9]))
        }.count
    }

    /// Polls `condition` every 10 ms for 5 s at most.
    private func waitFor(_ what: String, _ condition: () -> Bool) throws {
        for _ in 0..<500 {
            if condition() { return }
            usleep(10_000)
        }
        throw StoreTestFailure("timed out waiting for \(what)")
    }
}

struct StoreTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
