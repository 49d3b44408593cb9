import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking HTTP/1.1 client for the fleet's store (etcd's JSON gateway) on a loop and
/// thread of its own, never a worker's or the admin loop's. Every call returns at once; its
/// answer comes back through the callback, which runs on the store's thread (hand it on to
/// your own loop's mailbox). Requests go one at a time over a keep-alive connection to one
/// member; a watch holds a connection of its own. A member that cannot be connected to is
/// left for the next one (failover); see `StoreLoop` for what is retried.
public final class StoreClient: Sendable {
    private let mailbox: Mailbox<StoreMessage>
    private let thread: pthread_t
    private let nextWatch = Atomic<Int>(0)
    private let failoverCount = FailoverCount()

    /// Starts the store's thread. `endpoints`: the members of one etcd cluster, tried in
    /// order; `requestTimeoutMs`: the longest a request (connect, send, answer) or a watch's
    /// start (up to its response head) may take.
    public init(endpoints: [SocketAddress], requestTimeoutMs: Int = 2_000) {
        precondition(!endpoints.isEmpty, "a store client needs an endpoint")
        let mailbox = Mailbox<StoreMessage>()
        self.mailbox = mailbox
        let failovers = failoverCount
        thread = startThread {
            StoreLoop(endpoints: endpoints, timeoutMs: Int64(requestTimeoutMs), mailbox: mailbox, failovers: failovers).run()
        }
    }

    /// How many times the client left a member for the next one (a failed connect, a
    /// request or watch start without an answer). A change tells its users that watches
    /// opened before may hang on a member that is gone without closing them.
    public var failovers: Int { failoverCount.count.load(ordering: .relaxed) }

    /// Posts `body` to `path` and calls `completion` once with the whole answer or why
    /// there is none.
    public func request(_ path: String, body: [UInt8], completion: @escaping @Sendable (Result<StoreAnswer, StoreError>) -> Void) {
        mailbox.send(.request(StoreCall(path: path, body: body, completion: completion)))
    }

    /// Posts `body` to `path` and streams the answer: `onHead` once with its status, then
    /// `onData` with the body's data as it arrives (chunked framing removed), then `onEnd`
    /// once when the stream ends (nil when the server ended it cleanly). No call after
    /// `cancel`. Returns the watch's id for `cancel`.
    public func watch(_ path: String, body: [UInt8], onHead: @escaping @Sendable (Int) -> Void,
                      onData: @escaping @Sendable ([UInt8]) -> Void,
                      onEnd: @escaping @Sendable (StoreError?) -> Void) -> Int {
        let id = nextWatch.add(1, ordering: .relaxed).newValue
        mailbox.send(.watch(id, StoreStream(path: path, body: body, onHead: onHead, onData: onData, onEnd: onEnd)))
        return id
    }

    /// Ends watch `id`; nothing more is called for it.
    public func cancel(watch id: Int) {
        mailbox.send(.cancel(id))
    }

    /// Closes every connection, fails what is pending with `.shutDown`, and waits for the
    /// store's thread to end. Call once.
    public func shutdown() {
        mailbox.send(.shutdown)
        pthread_join(thread, nil)
    }
}

/// The failover counter shared by the client and its loop.
final class FailoverCount: Sendable {
    let count = Atomic<Int>(0)
}

/// A complete answer of the store.
public struct StoreAnswer: Sendable {
    public let status: Int
    public let body: [UInt8]
}

/// Why a store request has no answer.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No member could be connected to: each endpoint with its failure.
    case unreachable([String])
    /// The request was sent to `endpoint` but no complete answer came back (it may or may
    /// not have taken effect).
    case failed(endpoint: String, reason: String)
    /// The client was shut down first.
    case shutDown

    public var description: String {
        switch self {
        case .unreachable(let failures): "store unreachable: " + failures.joined(separator: "; ")
        case .failed(let endpoint, let reason): "store request to \(endpoint) failed: \(reason)"
        case .shutDown: "store client shut down"
        }
    }
}

/// Messages into the store's loop.
enum StoreMessage: Sendable {
    case request(StoreCall)
    case watch(Int, StoreStream)
    case cancel(Int)
    case shutdown
}

/// One request waiting for its answer.
struct StoreCall: Sendable {
    let path: String
    let body: [UInt8]
    let completion: @Sendable (Result<StoreAnswer, StoreError>) -> Void
}

/// One watch and where its stream goes.
struct StoreStream: Sendable {
    let path: String
    let body: [UInt8]
    let onHead: @Sendable (Int) -> Void
    let onData: @Sendable ([UInt8]) -> Void
    let onEnd: @Sendable (StoreError?) -> Void
}
