import Dispatch
public import ProxyIO
import Synchronization
public import Traffic

/// One instance's link to its fleet (docs/fleet.md): the store client, the election, the
/// copy of the fleet's keys, the registration and the published evidence. Thread-safe:
/// answers arrive on the store's thread, `publish…` and `write…` come from the admin loop,
/// renewals and the registration from a ticker thread of its own (every 250 ms); nothing
/// here blocks but `readAtStart` and `stop`, which run on the main thread before anything
/// serves and after everything stopped.
public final class FleetLink: Sendable {
    /// Whether the store answered the last request, and since when it has not.
    public struct Reachability: Sendable {
        public var reachable = true
        /// Wall-clock text and monotonic ms of the first failure of the outage under way.
        public var unreachableSince: (text: String, ms: Int)? = nil
        public var requests = 0
        public var errors = 0
        public var latencyMsSum = 0
    }

    /// What the control plane hears about, on the thread that learnt it.
    public enum Change: Sendable {
        /// The copy of the fleet's keys changed (or was read afresh).
        case keys
        /// The store answers again after an outage that began at `since` and lasted `ms`.
        case storeReturned(since: String, ms: Int)
        case storeLost(error: String)
        case leadership(leading: Bool)
    }

    public let name: String
    public let keys: FleetKeys
    public let endpoints: [String]
    private let admin: String
    private let listen: String
    private let startedAt = Timestamp.now()
    /// This process among the fleet's writers: the name and the start time.
    public var writer: String { name + "@" + startedAt }
    private let client: StoreClient
    private let election: StoreElection
    private let mirror: StoreMirror
    private let clock: @Sendable () -> Int
    private let shared = Shared()
    private let reach = Mutex(Reachability())
    /// The revision and weights this instance's workers apply now (set by the control plane).
    private let applied = Mutex<(revision: Int64, weights: [String: Weight])>((0, [:]))
    private let ticker = Mutex<PeriodicThread?>(nil)
    /// The events waiting to be written to the store (the audit log).
    private let outbox = Mutex(EventOutbox(capacity: FleetEvents.capacity))
    /// The audit log's events as last decoded from the copy, by key (`FleetEvents.list`).
    private let decodedEvents = Mutex<[[UInt8]: Event]>([:])

    public init(client: StoreClient, endpoints: [String], keys: FleetKeys, name: String, admin: String, listen: String,
                leaseSeconds: Int, clock: @escaping @Sendable () -> Int) {
        self.client = client
        self.endpoints = endpoints
        self.keys = keys
        self.name = name
        self.admin = admin
        self.listen = listen
        self.clock = clock
        let shared = shared
        election = StoreElection(client: client, instance: name, settings: LeaderElection.Settings(prefix: keys.leader, ttlSeconds: leaseSeconds),
                                 clock: clock) { action in
            switch action {
            case .becameLeader: shared.leading.store(true, ordering: .relaxed); shared.report(.leadership(leading: true))
            case .steppedDown: shared.leading.store(false, ordering: .relaxed); shared.report(.leadership(leading: false))
            default: break
            }
        }
        mirror = StoreMirror(client: client, prefix: keys.all, clock: clock) { _ in shared.report(.keys) }
    }

    /// What the election's and the mirror's callbacks share with the link.
    private final class Shared: Sendable {
        let leading = Atomic<Bool>(false)
        let failoversSeen = Atomic<Int>(0)
        /// Whether a registration under a lease was written (until then it is tried every tick).
        let registered = Atomic<Bool>(false)
        let listener = Mutex<(@Sendable (Change) -> Void)?>(nil)

        func report(_ change: Change) {
            listener.withLock { $0 }?(change)
        }
    }

    /// What an instance finds in the store when it starts.
    public enum StartRead: Sendable {
        case read(EtcdRangeAnswer)
        /// The store did not answer usably: why.
        case failed(String)
    }

    /// Reads every key of the fleet, waiting for the answer: only on the main thread,
    /// before the instance serves (to refuse a duplicate name and start at the fleet's weights).
    public static func readAtStart(client: StoreClient, keys: FleetKeys) -> StartRead {
        let request = EtcdRequest.range(keys.all, end: EtcdRequest.prefixEnd(keys.all))
        let answer = Mutex<StartRead>(.failed("no answer"))
        let done = DispatchSemaphore(value: 0)
        client.request(request.path, body: request.bodyBytes) { result in
            let read: StartRead
            switch result {
            case .success(let a):
                do throws(EtcdFailure) {
                    read = .read(try EtcdRangeAnswer(json: try EtcdAnswer.json(status: a.status, body: a.body, what: "fleet read")))
                } catch {
                    read = .failed(error.description)
                }
            case .failure(let error):
                read = .failed(error.description)
            }
            answer.withLock { $0 = read }
            done.signal()
        }
        done.wait()
        return answer.withLock { $0 }
    }

    /// Campaigns, follows the fleet's keys and registers as soon as it has a lease, then once
    /// a second; every
    /// change is told to `onChange`, on the thread that learnt it.
    public func start(onChange: @escaping @Sendable (Change) -> Void) {
        shared.listener.withLock { $0 = onChange }
        election.start()
        mirror.start()
        let thread = PeriodicThread(intervalMs: 250) { [self] run in
            // The client left a member: the watches opened before may hang on it, silent,
            // if it is gone without closing them (a partition).
            let failovers = client.failovers
            if shared.failoversSeen.exchange(failovers, ordering: .relaxed) != failovers {
                mirror.rewatch()
                election.rewatch()
            }
            election.tick()
            mirror.tick()
            if let put = outbox.withLock({ $0.tick() }) { writeEvent(put) }
            if run % 4 == 0 || !shared.registered.load(ordering: .relaxed) { register() }
        }
        ticker.withLock { $0 = thread }
    }

    /// Steps down, revokes the lease (its keys go with it) and stops the client.
    public func stop() {
        ticker.withLock { $0 }?.stop()
        election.resign()
        mirror.stop()
        // The revoke is queued before the shutdown; give it its answer's time.
        let done = DispatchSemaphore(value: 0)
        client.request("/v3/maintenance/status", body: Array("{}".utf8)) { _ in done.signal() }
        _ = done.wait(timeout: .now() + .seconds(2))
        client.shutdown()
    }

    public var isLeader: Bool { shared.leading.load(ordering: .relaxed) }
    public var reachability: Reachability { reach.withLock { $0 } }

    /// The fleet as this instance's copy of the store shows it, and the copy's revision.
    public var view: (FleetView, revision: Int64) {
        let snapshot = mirror.snapshot
        return (FleetView(keys: keys, kvs: snapshot.kvs), snapshot.revision)
    }

    /// The control plane applied the store's state up to `revision`: the weights in force.
    public func applied(revision: Int64, weights: [String: Weight]) {
        applied.withLock { $0 = (revision, weights) }
    }

    /// Writes route `route`'s run-time state and, with `rollout`, its rollout record, in
    /// one transaction conditioned on the rollout key's revision being `expect` (0: absent)
    /// and, when `fenced`, on this instance's leadership; `completion` (on the store's
    /// thread) gets how it ended.
    public func write(route: String, state: RouteState, rollout: (stable: Pool, record: [String: JSONValue]?)?, expect: Int64,
                      fenced: Bool, completion: @escaping @Sendable (StoreElection.FencedWrite) -> Void) {
        var operations: [EtcdOperation] = [.put(key: keys.weights(route), value: FleetView.weightsValue(state, instance: name), lease: 0)]
        if let rollout {
            operations.append(.put(key: keys.rollout(route), value: FleetView.rolloutValue(stable: rollout.stable, record: rollout.record, writer: writer),
                                   lease: 0))
        }
        let compare = [EtcdCompare(key: keys.rollout(route), .modRevision(expect))]
        if fenced { return election.fencedWrite(operations, compare: compare, completion: completion) }
        send(.txn(compare, success: operations)) { result in
            switch result {
            case .success(let json):
                do throws(EtcdFailure) {
                    let txn = try EtcdTxnAnswer(json: json)
                    completion(txn.succeeded ? .written(revision: txn.revision) : .conflict)
                } catch {
                    completion(.failed(.etcd(error)))
                }
            case .failure(let error):
                completion(.failed(error))
            }
        }
    }

    /// The fleet's audit log as this instance's copy of the store holds it, oldest first,
    /// ids being the store's revisions (`FleetEvents`).
    public var events: [Event] {
        let kvs = mirror.snapshot.kvs
        return decodedEvents.withLock { FleetEvents.list(keys, kvs: kvs, decoded: &$0) }
    }

    /// Queues `event` (just recorded in the local log) for the store's audit log, under its
    /// slot of this instance's ring; written in order, a failed write retried every 250 ms.
    /// False when too many wait already (the store has been unreachable long): it is then
    /// only in the local log.
    public func store(event: Event) -> Bool {
        guard let value = try? event.json.encoded() else { return false }
        let put = EventOutbox.Put(key: FleetEvents.key(keys, instance: name, localID: event.id), value: value)
        let (accepted, send) = outbox.withLock { $0.add(put) }
        if let send { writeEvent(send) }
        return accepted
    }

    /// Writes the outbox's first event; its answer starts the next one.
    private func writeEvent(_ put: EventOutbox.Put) {
        send(.put(put.key, put.value)) { [self] result in
            let succeeded: Bool
            if case .success = result { succeeded = true } else { succeeded = false }
            if let next = outbox.withLock({ $0.written(succeeded) }) { writeEvent(next) }
        }
    }

    /// Publishes this instance's cumulative evidence under its lease (from the admin loop,
    /// once a second); nothing before the lease is granted.
    public func publish(evidence: [String: SecondEvidence]) {
        guard let lease = election.leaseID else { return }
        let record = EvidenceRecord.encode(FleetEvidence.Reading(instance: name, epoch: lease, routes: evidence))
        send(.put(keys.evidence(name), (try? record.encoded()) ?? [], lease: lease)) { _ in }
    }

    /// Rewrites the registration under the lease (before the lease, only checks that the
    /// store answers), which tells the fleet this instance is alive and what it applied.
    private func register() {
        guard let lease = election.leaseID else {
            return send(.range(keys.instance(name))) { _ in }
        }
        let (revision, weights) = applied.withLock { $0 }
        let record = InstanceRecord(name: name, admin: admin, listen: listen, startedAt: startedAt, lastSeen: Timestamp.now(),
                                    appliedRevision: revision, weights: weights)
        send(.put(keys.instance(name), (try? record.json.encoded()) ?? [], lease: lease)) { [shared] result in
            if case .success = result { shared.registered.store(true, ordering: .relaxed) }
        }
    }

    /// Sends `request`, counting it and its latency, and tracking whether the store answers.
    private func send(_ request: EtcdRequest, completion: @escaping @Sendable (Result<JSONValue, EtcdRequestFailure>) -> Void) {
        let sentAt = clock()
        client.request(request.path, body: request.bodyBytes) { [self] result in
            let outcome: Result<JSONValue, EtcdRequestFailure>
            switch result {
            case .success(let answer):
                do throws(EtcdFailure) {
                    outcome = .success(try EtcdAnswer.json(status: answer.status, body: answer.body, what: request.path))
                } catch {
                    outcome = .failure(.etcd(error))
                }
            case .failure(let error):
                outcome = .failure(.store(error))
            }
            noteAnswer(outcome, sentAt: sentAt)
            completion(outcome)
        }
    }

    /// Counts an answer; reports the start and the end of an outage (a refusal by etcd is an
    /// answer: the store is reachable).
    private func noteAnswer(_ outcome: Result<JSONValue, EtcdRequestFailure>, sentAt: Int) {
        let now = clock()
        let unreachable: Bool
        if case .failure(.store(_)) = outcome { unreachable = true } else { unreachable = false }
        let change = reach.withLock { r -> Change? in
            r.requests += 1
            r.latencyMsSum += now - sentAt
            if case .failure = outcome { r.errors += 1 }
            if unreachable, r.reachable {
                r.reachable = false
                r.unreachableSince = (Timestamp.now(), now)
                if case .failure(.store(let error)) = outcome { return .storeLost(error: error.description) }
            } else if !unreachable, !r.reachable, let since = r.unreachableSince {
                r.reachable = true
                r.unreachableSince = nil
                return .storeReturned(since: since.text, ms: now - since.ms)
            }
            return nil
        }
        if let change { shared.report(change) }
    }
}
