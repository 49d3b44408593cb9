public import ProxyIO
import Synchronization
public import Traffic

/// Runs one instance's `LeaderElection` against the store: carries out its actions with a
/// `StoreClient` and feeds the answers back as events. Thread-safe: answers arrive on the
/// store's thread, `tick` comes from the owner's loop (about every 250 ms); each takes a
/// lock, steps the machine and sends requests, which never blocks. Leadership changes are
/// reported to `onChange` (`becameLeader`, `steppedDown`), on whichever thread made them.
public final class StoreElection: Sendable {
    private struct State: Sendable {
        var election: LeaderElection
        /// The running watch of the key before ours.
        var watch: Int?
        var parser = WatchStreamParser()
        /// Bumped by each watch started or stopped, so that a stopped watch's late messages
        /// are ignored.
        var generation = 0
    }

    private let client: StoreClient
    private let value: [UInt8]
    private let state: Mutex<State>
    private let clock: @Sendable () -> Int
    private let onChange: @Sendable (ElectionAction) -> Void

    /// `instance` is written as the value of the leadership key; `clock` gives monotonic
    /// milliseconds.
    public init(client: StoreClient, instance: String, settings: LeaderElection.Settings, clock: @escaping @Sendable () -> Int,
                onChange: @escaping @Sendable (ElectionAction) -> Void) {
        self.client = client
        value = Array(instance.utf8)
        state = Mutex(State(election: LeaderElection(settings: settings)))
        self.clock = clock
        self.onChange = onChange
    }

    public func start() { step { $0.start(now: $1) } }

    /// Renewals, the deadline and retries; call about every 250 ms.
    public func tick() { step { $0.tick(now: $1) } }

    /// Steps down and revokes the lease (shutdown).
    public func resign() { step { election, _ in election.resign() } }

    /// Ends the watch of the key before this instance's, if one runs, and reads again: for
    /// when its member may be gone without closing the connection (a partition), which only
    /// a request's timeout tells.
    public func rewatch() {
        let running = state.withLock { s -> (Int, Int64)? in
            guard let id = s.watch, let lease = s.election.leaseID else { return nil }
            s.watch = nil
            s.generation += 1
            return (id, lease)
        }
        guard let (id, lease) = running else { return }
        client.cancel(watch: id)
        step { $0.requestFailed(.watch, lease: lease, now: $1) }
    }

    /// The fence for a write sent now; nil unless leading.
    public var fence: LeaderElection.Fence? {
        let now = clock()
        return state.withLock { $0.election.fence(now: now) }
    }

    /// The lease the instance holds now, if any.
    public var leaseID: Int64? { state.withLock { $0.election.leaseID } }

    /// How a fenced write ended.
    public enum FencedWrite: Sendable {
        /// Committed at this revision.
        case written(revision: Int64)
        /// The fence held but another comparison failed: nothing written.
        case conflict
        /// Not leading, or the fence failed (which deposes this instance): nothing written.
        case notLeading
        /// No usable answer (it may or may not have been written).
        case failed(EtcdRequestFailure)
    }

    /// Writes `operations` in one transaction conditioned on the fence and on `compare`;
    /// `completion` gets how it ended. Only a failed fence deposes this instance, not a
    /// failed `compare` (the failure branch reads the leadership key to tell them apart).
    public func fencedWrite(_ operations: [EtcdOperation], compare: [EtcdCompare] = [],
                            completion: @escaping @Sendable (FencedWrite) -> Void) {
        guard let fence else { return completion(.notLeading) }
        let request = EtcdRequest.txn([EtcdCompare(key: fence.key, .createRevision(fence.createRevision))] + compare,
                                      success: operations, failure: [.range(key: fence.key, end: nil)])
        send(request) { [self] result in
            switch result {
            case .success(let json):
                do throws(EtcdFailure) {
                    let txn = try EtcdTxnAnswer(json: json)
                    if txn.succeeded { return completion(.written(revision: txn.revision)) }
                    if case .range(let range)? = txn.responses.first, range.kvs.first?.createRevision == fence.createRevision {
                        return completion(.conflict)
                    }
                    step { $0.fenceFailed(now: $1) }
                    completion(.notLeading)
                } catch {
                    completion(.failed(.etcd(error)))
                }
            case .failure(let error):
                completion(.failed(error))
            }
        }
    }

    /// Runs one event of the machine under the lock, then carries out its actions.
    private func step(_ event: (inout LeaderElection, Int) -> [ElectionAction]) {
        let now = clock()
        let (actions, lease) = state.withLock { s in (event(&s.election, now), s.election.leaseID) }
        for action in actions { perform(action, lease: lease) }
    }

    private func perform(_ action: ElectionAction, lease: Int64?) {
        switch action {
        case .grantLease(let ttl):
            send(.leaseGrant(ttlSeconds: Int64(ttl))) { [self] result in
                if case .success(let json) = result, let answer = try? EtcdLeaseAnswer(grant: json), answer.id != 0 {
                    step { $0.leaseGranted(id: answer.id, ttlSeconds: Int(answer.ttlSeconds), now: $1) }
                } else {
                    step { $0.requestFailed(.grant, lease: nil, now: $1) }
                }
            }
        case .keepAlive(let id):
            send(.leaseKeepAlive(id: id), stream: true) { [self] result in
                if case .success(let json) = result, let answer = try? EtcdLeaseAnswer(keepAlive: json) {
                    step { $0.keepAliveAnswered(lease: id, ttlSeconds: Int(answer.ttlSeconds), now: $1) }
                } else {
                    step { $0.requestFailed(.keepAlive, lease: id, now: $1) }
                }
            }
        case .createKey(let key, let id):
            let txn = EtcdRequest.txn([EtcdCompare(key: key, .createRevision(0))], success: [.put(key: key, value: value, lease: id)],
                                      failure: [.range(key: key, end: nil)])
            send(txn) { [self] result in
                if case .success(let json) = result, let answer = try? EtcdTxnAnswer(json: json),
                   let revision = Self.createRevision(of: answer) {
                    step { $0.keyCreated(lease: id, createRevision: revision, now: $1) }
                } else {
                    step { $0.requestFailed(.createKey, lease: id, now: $1) }
                }
            }
        case .readPredecessor(let maxCreateRevision):
            guard let id = lease else { return }
            let prefix = state.withLock { $0.election.settings.prefix }
            // max_create_revision 0 would mean "any": below revision 1 there is nothing.
            guard maxCreateRevision >= 1 else {
                return step { $0.predecessorRead(lease: id, key: nil, revision: 0, now: $1) }
            }
            let range = EtcdRequest.range(prefix, end: EtcdRequest.prefixEnd(prefix), maxCreateRevision: maxCreateRevision,
                                          sortByCreate: true, descending: true, limit: 1)
            send(range) { [self] result in
                if case .success(let json) = result, let answer = try? EtcdRangeAnswer(json: json) {
                    step { $0.predecessorRead(lease: id, key: answer.kvs.first?.key, revision: answer.revision, now: $1) }
                } else {
                    step { $0.requestFailed(.readPredecessor, lease: id, now: $1) }
                }
            }
        case .watchDeletion(let key, let fromRevision):
            guard let id = lease else { return }
            startWatch(key, fromRevision: fromRevision, lease: id)
        case .stopWatching:
            if let id = state.withLock({ s -> Int? in defer { s.watch = nil; s.generation += 1 }; return s.watch }) {
                client.cancel(watch: id)
            }
        case .becameLeader, .steppedDown:
            onChange(action)
        case .revokeLease(let id):
            send(.leaseRevoke(id: id)) { _ in }
        }
    }

    /// Watches `key` from `fromRevision`; its deletion is `keyDeleted`, the watch's end (or
    /// a cancellation: compaction) a failed watch, after which the machine reads again.
    private func startWatch(_ key: [UInt8], fromRevision: Int64, lease: Int64) {
        let request = EtcdRequest.watch(key, startRevision: fromRevision)
        let generation = state.withLock { s -> Int in
            s.parser = WatchStreamParser()
            s.generation += 1
            return s.generation
        }
        let id = client.watch(request.path, body: request.bodyBytes, onHead: { _ in }, onData: { [self] data in
            let answers = state.withLock { s -> [EtcdWatchAnswer]? in
                guard s.generation == generation else { return [] }
                guard let messages = try? s.parser.feed(data) else { return nil }
                return messages.compactMap { try? EtcdWatchAnswer(json: $0) }
            }
            guard let answers, !answers.contains(where: \.canceled) else { return ended(generation, lease: lease) }
            if answers.contains(where: { $0.events.contains { $0.kind == .delete && $0.kv.key == key } }) {
                step { $0.keyDeleted(lease: lease, key: key, now: $1) }
            }
        }, onEnd: { [self] _ in ended(generation, lease: lease) })
        // Stopped while it was being started: stop it now.
        let stale = state.withLock { s -> Bool in
            guard s.generation == generation else { return true }
            s.watch = id
            return false
        }
        if stale { client.cancel(watch: id) }
    }

    /// The watch of `generation` ended (or was cancelled by etcd): unless it was stopped on
    /// purpose, the machine reads again.
    private func ended(_ generation: Int, lease: Int64) {
        guard state.withLock({ $0.generation == generation }) else { return }
        step { $0.requestFailed(.watch, lease: lease, now: $1) }
    }

    /// The create revision a campaign transaction answered: its own revision when it
    /// created the key, the existing key's otherwise.
    private static func createRevision(of answer: EtcdTxnAnswer) -> Int64? {
        if answer.succeeded { return answer.revision }
        guard case .range(let range)? = answer.responses.first else { return nil }
        return range.kvs.first?.createRevision
    }

    /// Sends `request`; `completion` gets its JSON (for `stream`, the stream's one message)
    /// or the failure.
    private func send(_ request: EtcdRequest, stream: Bool = false,
                      completion: @escaping @Sendable (Result<JSONValue, EtcdRequestFailure>) -> Void) {
        client.request(request.path, body: request.bodyBytes) { result in
            switch result {
            case .success(let answer):
                do throws(EtcdFailure) {
                    completion(.success(stream ? try EtcdAnswer.firstStreamMessage(status: answer.status, body: answer.body, what: request.path)
                                               : try EtcdAnswer.json(status: answer.status, body: answer.body, what: request.path)))
                } catch {
                    completion(.failure(.etcd(error)))
                }
            case .failure(let error):
                completion(.failure(.store(error)))
            }
        }
    }
}

/// Why a request of the election got no usable answer: the store client's failure or
/// etcd's.
public enum EtcdRequestFailure: Error, Sendable, CustomStringConvertible {
    case store(StoreError)
    case etcd(EtcdFailure)

    public var description: String {
        switch self {
        case .store(let error): error.description
        case .etcd(let error): error.description
        }
    }
}
