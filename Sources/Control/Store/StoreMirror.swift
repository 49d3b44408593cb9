public import ProxyIO
import Synchronization

/// Runs a `PrefixMirror` against the store: reads and watches the prefix with a
/// `StoreClient` and feeds the answers back. Thread-safe like `StoreElection`: answers
/// arrive on the store's thread, `tick` comes from the owner's loop; each takes a lock,
/// steps the mirror and sends requests. `onChange` hears of every change of the copy
/// (`replaced`, `changed`), on the thread that made it; read the copy with `snapshot`.
public final class StoreMirror: Sendable {
    private struct State: Sendable {
        var mirror = PrefixMirror()
        var watch: Int?
        var parser = WatchStreamParser()
        /// Bumped by each watch started, so that a stopped watch's late messages are ignored.
        var generation = 0
    }

    private let client: StoreClient
    private let prefix: [UInt8]
    private let state: Mutex<State>
    private let clock: @Sendable () -> Int
    private let onChange: @Sendable (MirrorAction) -> Void

    public init(client: StoreClient, prefix: [UInt8], retryMs: Int = 500, clock: @escaping @Sendable () -> Int,
                onChange: @escaping @Sendable (MirrorAction) -> Void) {
        self.client = client
        self.prefix = prefix
        state = Mutex(State(mirror: PrefixMirror(retryMs: retryMs)))
        self.clock = clock
        self.onChange = onChange
    }

    public func start() { step { mirror, _ in mirror.start() } }

    /// Repeats failed reads and ended watches; call about every 250 ms.
    public func tick() { step { $0.tick(now: $1) } }

    /// Ends the watch; the copy stays as it is.
    public func stop() {
        if let id = state.withLock({ s -> Int? in defer { s.watch = nil; s.generation += 1 }; return s.watch }) {
            client.cancel(watch: id)
        }
    }

    /// Ends the running watch and watches again after the retry delay, from the revision
    /// after the copy's: for when its member may be gone without closing the connection (a
    /// partition), which only a request's timeout tells.
    public func rewatch() {
        guard state.withLock({ $0.watch != nil }) else { return }
        stop()
        step { $0.watchEnded(now: $1) }
    }

    /// The copy and the revision it is complete up to.
    public var snapshot: (revision: Int64, kvs: [[UInt8]: EtcdKeyValue]) {
        state.withLock { ($0.mirror.revision, $0.mirror.kvs) }
    }

    /// Whether the copy follows the store now (a watch is running).
    public var isFollowing: Bool { state.withLock { $0.mirror.isFollowing } }

    private func step(_ event: (inout PrefixMirror, Int) -> [MirrorAction]) {
        let now = clock()
        let actions = state.withLock { event(&$0.mirror, now) }
        for action in actions { perform(action) }
    }

    private func perform(_ action: MirrorAction) {
        switch action {
        case .read:
            let range = EtcdRequest.range(prefix, end: EtcdRequest.prefixEnd(prefix))
            client.request(range.path, body: range.bodyBytes) { [self] result in
                if case .success(let answer) = result,
                   let json = try? EtcdAnswer.json(status: answer.status, body: answer.body, what: "mirror read"),
                   let read = try? EtcdRangeAnswer(json: json) {
                    step { mirror, _ in mirror.readAnswered(read) }
                } else {
                    step { $0.readFailed(now: $1) }
                }
            }
        case .watch(let revision):
            startWatch(from: revision)
        case .stopWatching:
            stop()
        case .replaced, .changed:
            onChange(action)
        }
    }

    private func startWatch(from revision: Int64) {
        let request = EtcdRequest.watch(prefix, end: EtcdRequest.prefixEnd(prefix), startRevision: revision)
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
            guard let answers else { return ended(generation) }
            for answer in answers { step { $0.watchAnswered(answer, now: $1) } }
        }, onEnd: { [self] _ in ended(generation) })
        state.withLock { s in
            if s.generation == generation { s.watch = id }
        }
    }

    /// The watch of `generation` ended (or its stream broke): unless it was stopped on
    /// purpose, the mirror watches again.
    private func ended(_ generation: Int) {
        let current = state.withLock { $0.generation == generation }
        guard current else { return }
        stop()
        step { $0.watchEnded(now: $1) }
    }
}
