/// One instance's part in electing the fleet's leader through the store (docs/fleet.md),
/// the way etcd's `concurrency.Election` does it: the instance holds a lease, creates its
/// leadership key `prefix + lease ID` under that lease in a transaction (create if absent),
/// and leads once no leadership key with a lower create revision exists; until then it
/// waits for the deletion of the key just before its own. It renews the lease every third of
/// its TTL and leads only until its own deadline, the last renewal's sending time + TTL −
/// margin, so that it stops before the store can expire the lease; a keepalive answered
/// without a TTL means the lease is gone: it steps down at once and campaigns again with a
/// new lease. While leading, every write it makes is conditioned on its key's create
/// revision (`fence`), so a deposed leader's late write fails.
///
/// Pure: time comes in as `now` (milliseconds of a monotonic clock), the store's answers as
/// events, and what to send or report goes out as actions, which the shell carries out at
/// once (an action's sending time is the `now` of the call that returned it). Every event
/// names the lease it answers for; answers for an older lease are ignored.
public struct LeaderElection: Sendable {
    public struct Settings: Hashable, Sendable {
        /// The leadership keys' common prefix (`/sluice/leader/`).
        public var prefix: [UInt8]
        /// The lease's TTL in seconds.
        public var ttlSeconds: Int
        /// How long before the store could expire the lease the leader stops leading.
        public var marginMs: Int
        /// How long to wait before repeating a request that failed.
        public var retryMs: Int

        public init(prefix: [UInt8], ttlSeconds: Int, marginMs: Int = 1_000, retryMs: Int = 500) {
            self.prefix = prefix
            self.ttlSeconds = ttlSeconds
            self.marginMs = marginMs
            self.retryMs = retryMs
        }

        var ttlMs: Int { ttlSeconds * 1_000 }
        var renewEveryMs: Int { ttlMs / 3 }
    }

    /// What a leader's writes are conditioned on: its leadership key still has this create
    /// revision (it was not deleted with an expired lease and created again by another).
    public struct Fence: Hashable, Sendable {
        public var key: [UInt8]
        public var createRevision: Int64
    }

    /// The instance's lease and its renewals.
    struct Lease: Hashable, Sendable {
        let id: Int64
        /// Past this time the lease may have expired in the store: no leading.
        var deadline: Int
        var nextRenewal: Int
        /// When the keepalive in flight was sent; nil when none is.
        var renewalSentAt: Int?
    }

    /// Where the campaign stands.
    enum State: Hashable, Sendable {
        /// Before `start`.
        case idle
        /// A lease grant sent at `sentAt` (nil: to be sent at `retryAt`).
        case granting(sentAt: Int?, retryAt: Int)
        /// The leadership key's creation sent (or to be sent again at `retryAt`).
        case creating(Lease, key: [UInt8], retryAt: Int?)
        /// The key before ours asked for (or to be asked for again at `retryAt`).
        case reading(Lease, Fence, retryAt: Int?)
        /// Waiting for the deletion of `predecessor`.
        case waiting(Lease, Fence, predecessor: [UInt8])
        /// Past the lease's deadline: no leading until a renewal answers with a TTL.
        case expired(Lease, Fence?)
        case leading(Lease, Fence)
        case resigned
    }

    public let settings: Settings
    private(set) var state: State = .idle

    public init(settings: Settings) {
        self.settings = settings
    }

    /// The fence to condition a write sent at `now` on; nil unless leading before the
    /// lease's deadline (between ticks too).
    public func fence(now: Int) -> Fence? {
        if case .leading(let lease, let fence) = state, now < lease.deadline { return fence }
        return nil
    }

    /// The lease the instance holds (also for its registration and evidence); nil while it
    /// has none.
    public var leaseID: Int64? {
        switch state {
        case .creating(let lease, _, _), .reading(let lease, _, _), .waiting(let lease, _, _), .expired(let lease, _),
             .leading(let lease, _): lease.id
        case .idle, .granting, .resigned: nil
        }
    }

    /// Starts campaigning at `now`.
    public mutating func start(now: Int) -> [ElectionAction] {
        guard state == .idle else { return [] }
        state = .granting(sentAt: now, retryAt: 0)
        return [.grantLease(ttlSeconds: settings.ttlSeconds)]
    }

    /// The store granted lease `id` (for the grant sent last). A grant answered late, after
    /// a retry was granted or the instance resigned, is revoked.
    public mutating func leaseGranted(id: Int64, ttlSeconds: Int, now: Int) -> [ElectionAction] {
        guard case .granting(let sentAt?, _) = state else { return leaseID == id ? [] : [.revokeLease(id)] }
        let lease = Lease(id: id, deadline: sentAt + ttlSeconds * 1_000 - settings.marginMs,
                          nextRenewal: sentAt + ttlSeconds * 1_000 / 3, renewalSentAt: nil)
        let key = settings.prefix + Array(String(id).utf8)
        state = .creating(lease, key: key, retryAt: nil)
        return [.createKey(key: key, lease: id)]
    }

    /// The leadership key of lease `lease` exists with `createRevision` (created now, or
    /// found from an earlier attempt).
    public mutating func keyCreated(lease: Int64, createRevision: Int64, now: Int) -> [ElectionAction] {
        guard case .creating(let current, let key, _) = state, current.id == lease else { return [] }
        let fence = Fence(key: key, createRevision: createRevision)
        state = .reading(current, fence, retryAt: nil)
        return [.readPredecessor(maxCreateRevision: createRevision - 1)]
    }

    /// The key created just before ours, read at store revision `revision`; nil when there is
    /// none: the instance leads (unless past its deadline).
    public mutating func predecessorRead(lease: Int64, key predecessor: [UInt8]?, revision: Int64, now: Int) -> [ElectionAction] {
        guard case .reading(let current, let fence, _) = state, current.id == lease else { return [] }
        guard let predecessor else {
            if now >= current.deadline {
                state = .expired(current, fence)
                return []
            }
            state = .leading(current, fence)
            return [.becameLeader(fence)]
        }
        state = .waiting(current, fence, predecessor: predecessor)
        return [.watchDeletion(key: predecessor, fromRevision: revision + 1)]
    }

    /// `key` was deleted (its lease expired or was revoked): if it is the one waited for,
    /// look again for a key before ours.
    public mutating func keyDeleted(lease: Int64, key: [UInt8], now: Int) -> [ElectionAction] {
        guard case .waiting(let current, let fence, let predecessor) = state, current.id == lease, predecessor == key else { return [] }
        state = .reading(current, fence, retryAt: nil)
        return [.stopWatching, .readPredecessor(maxCreateRevision: fence.createRevision - 1)]
    }

    /// A keepalive of `lease` was answered: with the lease's TTL in seconds, or 0 when the
    /// lease no longer exists (it expired, or was revoked): then the instance steps down at
    /// once and campaigns again with a new lease.
    public mutating func keepAliveAnswered(lease id: Int64, ttlSeconds: Int, now: Int) -> [ElectionAction] {
        guard var lease = currentLease, lease.id == id, let sentAt = lease.renewalSentAt else { return [] }
        guard ttlSeconds > 0 else { return startOver(.leaseLost, now: now) }
        lease.deadline = max(lease.deadline, sentAt + ttlSeconds * 1_000 - settings.marginMs)
        lease.nextRenewal = sentAt + ttlSeconds * 1_000 / 3
        lease.renewalSentAt = nil
        if case .expired(_, let fence) = state {
            // The lease outlived the outage, and the key with it: look again.
            guard let fence else {
                state = .creating(lease, key: settings.prefix + Array(String(id).utf8), retryAt: nil)
                return [.createKey(key: settings.prefix + Array(String(id).utf8), lease: id)]
            }
            state = .reading(lease, fence, retryAt: nil)
            return [.readPredecessor(maxCreateRevision: fence.createRevision - 1)]
        }
        currentLease = lease
        return []
    }

    /// A request failed (no answer, a timeout, a refusal): the keepalive of `lease` is sent
    /// again after `retryMs`, as is the campaign's request in flight.
    public mutating func requestFailed(_ request: ElectionRequest, lease id: Int64?, now: Int) -> [ElectionAction] {
        let retryAt = now + settings.retryMs
        switch (request, state) {
        case (.grant, .granting):
            state = .granting(sentAt: nil, retryAt: retryAt)
        case (.keepAlive, _):
            guard var lease = currentLease, lease.id == id else { return [] }
            lease.renewalSentAt = nil
            lease.nextRenewal = retryAt
            currentLease = lease
        case (.createKey, .creating(let lease, let key, nil)) where lease.id == id:
            state = .creating(lease, key: key, retryAt: retryAt)
        case (.readPredecessor, .reading(let lease, let fence, nil)) where lease.id == id:
            state = .reading(lease, fence, retryAt: retryAt)
        case (.watch, .waiting(let lease, let fence, _)) where lease.id == id:
            // The watch ended: read afresh, the predecessor may be gone.
            state = .reading(lease, fence, retryAt: retryAt)
            return [.stopWatching]
        default:
            break
        }
        return []
    }

    /// A write conditioned on the fence failed its comparison: the leadership key is not
    /// what it was, so this instance is no longer the leader. It steps down, gives up its
    /// lease and campaigns again.
    public mutating func fenceFailed(now: Int) -> [ElectionAction] {
        guard case .leading = state else { return [] }
        return startOver(.fenced, now: now)
    }

    /// Runs about every 250 ms: sends renewals when due, steps down when the deadline
    /// passes, repeats failed requests when their time comes.
    public mutating func tick(now: Int) -> [ElectionAction] {
        var actions: [ElectionAction] = []
        if var lease = currentLease {
            if lease.renewalSentAt == nil && now >= lease.nextRenewal {
                lease.renewalSentAt = now
                currentLease = lease
                actions.append(.keepAlive(lease: lease.id))
            }
            if now >= lease.deadline {
                switch state {
                case .leading(let lease, let fence):
                    state = .expired(lease, fence)
                    actions.append(.steppedDown(.deadlinePassed))
                case .waiting(let lease, let fence, _):
                    state = .expired(lease, fence)
                    actions.append(.stopWatching)
                case .creating(let lease, _, _):
                    state = .expired(lease, nil)
                case .reading(let lease, let fence, _):
                    state = .expired(lease, fence)
                default: break
                }
            }
        }
        switch state {
        case .granting(nil, let retryAt) where now >= retryAt:
            state = .granting(sentAt: now, retryAt: 0)
            actions.append(.grantLease(ttlSeconds: settings.ttlSeconds))
        case .creating(let lease, let key, let retryAt?) where now >= retryAt:
            state = .creating(lease, key: key, retryAt: nil)
            actions.append(.createKey(key: key, lease: lease.id))
        case .reading(let lease, let fence, let retryAt?) where now >= retryAt:
            state = .reading(lease, fence, retryAt: nil)
            actions.append(.readPredecessor(maxCreateRevision: fence.createRevision - 1))
        default: break
        }
        return actions
    }

    /// The instance leaves the fleet (shutdown): steps down and revokes its lease, which
    /// deletes its leadership key so another instance leads at once.
    public mutating func resign() -> [ElectionAction] {
        var actions: [ElectionAction] = []
        if case .leading = state { actions.append(.steppedDown(.resigned)) }
        if case .waiting = state { actions.append(.stopWatching) }
        if let id = leaseID { actions.append(.revokeLease(id)) }
        state = .resigned
        return actions
    }

    /// Steps down if leading, drops the lease (revoking it, in case it still exists) and
    /// asks for a new one.
    private mutating func startOver(_ reason: StepDownReason, now: Int) -> [ElectionAction] {
        var actions: [ElectionAction] = []
        if case .leading = state { actions.append(.steppedDown(reason)) }
        if case .waiting = state { actions.append(.stopWatching) }
        if let id = leaseID, reason != .leaseLost { actions.append(.revokeLease(id)) }
        state = .granting(sentAt: now, retryAt: 0)
        actions.append(.grantLease(ttlSeconds: settings.ttlSeconds))
        return actions
    }

    /// The lease in the current state, read and written in place.
    private var currentLease: Lease? {
        get {
            switch state {
            case .creating(let lease, _, _), .reading(let lease, _, _), .waiting(let lease, _, _), .expired(let lease, _),
                 .leading(let lease, _): lease
            case .idle, .granting, .resigned: nil
            }
        }
        set {
            guard let lease = newValue else { return }
            switch state {
            case .creating(_, let key, let retryAt): state = .creating(lease, key: key, retryAt: retryAt)
            case .reading(_, let fence, let retryAt): state = .reading(lease, fence, retryAt: retryAt)
            case .waiting(_, let fence, let predecessor): state = .waiting(lease, fence, predecessor: predecessor)
            case .expired(_, let fence): state = .expired(lease, fence)
            case .leading(_, let fence): state = .leading(lease, fence)
            case .idle, .granting, .resigned: break
            }
        }
    }
}

/// The store requests of an election, to say which one failed.
public enum ElectionRequest: Hashable, Sendable {
    case grant, keepAlive, createKey, readPredecessor, watch
}

/// Why a leader stopped leading.
public enum StepDownReason: String, Hashable, Sendable {
    /// A keepalive answered without a TTL: the lease expired in the store.
    case leaseLost = "lease lost"
    /// No renewal answered in time: the lease may expire any moment.
    case deadlinePassed = "lease deadline passed"
    /// A fenced write failed: the leadership key changed.
    case fenced = "leadership key changed"
    case resigned
}

/// What the election asks the shell to send to the store or to report.
public enum ElectionAction: Hashable, Sendable {
    /// Grant a lease with this TTL; answer with `leaseGranted` or `requestFailed(.grant)`.
    case grantLease(ttlSeconds: Int)
    /// Renew the lease; answer with `keepAliveAnswered` or `requestFailed(.keepAlive)`.
    case keepAlive(lease: Int64)
    /// In one transaction: create `key` under `lease` if it does not exist, else read it;
    /// answer with the key's create revision (`keyCreated`).
    case createKey(key: [UInt8], lease: Int64)
    /// Read the leadership key with the highest create revision at or below this one (none:
    /// answer nil); answer with `predecessorRead`.
    case readPredecessor(maxCreateRevision: Int64)
    /// Watch `key` from `fromRevision` and report its deletion (`keyDeleted`).
    case watchDeletion(key: [UInt8], fromRevision: Int64)
    /// End the watch of `watchDeletion`.
    case stopWatching
    /// This instance leads from now on; condition every write on the fence.
    case becameLeader(LeaderElection.Fence)
    /// This instance stopped leading: stop the judge's decisions now.
    case steppedDown(StepDownReason)
    /// Revoke the lease (its keys go with it).
    case revokeLease(Int64)
}
