/// A local copy of every key under a prefix of the store, kept current by a watch: how each
/// instance follows the fleet's shared state (docs/fleet.md). It reads the whole prefix,
/// watches from that read's revision + 1 and applies each event. When the watch ends (its
/// member died, the connection broke) it watches again from the revision after the last
/// one it applied; when etcd cancels that watch because those revisions were compacted
/// away (`compact_revision`), it reads the prefix afresh and watches from there. Failed
/// reads and ended watches are repeated after `retryMs`.
///
/// Pure: the store's answers come in as events, time as `now` (monotonic milliseconds), and
/// what to send or what changed goes out as actions.
public struct PrefixMirror: Sendable {
    /// The keys under the prefix, by key.
    public private(set) var kvs: [[UInt8]: EtcdKeyValue] = [:]
    /// The store revision the copy is complete up to (0 before the first read).
    public private(set) var revision: Int64 = 0
    public let retryMs: Int

    enum State: Hashable, Sendable {
        case idle
        case reading
        case readFailed(retryAt: Int)
        case watching
        case watchEnded(retryAt: Int)
    }

    private(set) var state = State.idle

    public init(retryMs: Int = 500) {
        self.retryMs = retryMs
    }

    /// Whether a watch is running: the copy follows the store as it changes.
    public var isFollowing: Bool { state == .watching }

    /// Starts with a read of the prefix.
    public mutating func start() -> [MirrorAction] {
        guard state == .idle else { return [] }
        state = .reading
        return [.read]
    }

    /// The prefix was read: the copy is replaced by it, and a watch starts after it.
    public mutating func readAnswered(_ answer: EtcdRangeAnswer) -> [MirrorAction] {
        guard state == .reading else { return [] }
        kvs = Dictionary(answer.kvs.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
        revision = answer.revision
        state = .watching
        return [.replaced, .watch(fromRevision: revision + 1)]
    }

    public mutating func readFailed(now: Int) -> [MirrorAction] {
        guard state == .reading else { return [] }
        state = .readFailed(retryAt: now + retryMs)
        return []
    }

    /// One message of the watch: its events are applied; a cancellation for compaction
    /// means reading afresh, any other cancellation watching again.
    public mutating func watchAnswered(_ answer: EtcdWatchAnswer, now: Int) -> [MirrorAction] {
        guard state == .watching else { return [] }
        if answer.canceled {
            if answer.compactRevision > 0 {
                state = .reading
                return [.stopWatching, .read]
            }
            state = .watchEnded(retryAt: now + retryMs)
            return [.stopWatching]
        }
        var changed: [[UInt8]] = []
        // A transaction's events share one revision: each is newer than the copy before
        // this message, not than the one before it.
        let before = revision
        for event in answer.events where event.kv.modRevision > before {
            switch event.kind {
            case .put: kvs[event.kv.key] = event.kv
            case .delete: kvs[event.kv.key] = nil
            }
            revision = event.kv.modRevision
            changed.append(event.kv.key)
        }
        return changed.isEmpty ? [] : [.changed(keys: changed)]
    }

    /// The watch ended (the connection broke, the member died): it starts again from the
    /// next revision after `retryMs`.
    public mutating func watchEnded(now: Int) -> [MirrorAction] {
        guard state == .watching else { return [] }
        state = .watchEnded(retryAt: now + retryMs)
        return []
    }

    /// Repeats a failed read or an ended watch when its time comes; call about every 250 ms.
    public mutating func tick(now: Int) -> [MirrorAction] {
        switch state {
        case .readFailed(let retryAt) where now >= retryAt:
            state = .reading
            return [.read]
        case .watchEnded(let retryAt) where now >= retryAt:
            state = .watching
            return [.watch(fromRevision: revision + 1)]
        default:
            return []
        }
    }
}

/// What a `PrefixMirror` asks its shell to do, or tells it.
public enum MirrorAction: Hashable, Sendable {
    /// Read every key under the prefix; answer with `readAnswered` or `readFailed`.
    case read
    /// Watch the prefix from this revision; feed its messages to `watchAnswered`, its end to
    /// `watchEnded`.
    case watch(fromRevision: Int64)
    /// End the running watch.
    case stopWatching
    /// The copy was replaced by a fresh read.
    case replaced
    /// These keys changed (put or deleted), in order.
    case changed(keys: [[UInt8]])
}
