import CLinuxShim
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Messages other threads send to a worker loop (and to the health checker's loop).
public enum LoopMessage: Sendable {
    /// Start using a new routing snapshot for requests that start from now on; then tell
    /// `applied` (if any) that this worker has it.
    case install(RoutingSnapshot, applied: InstallBarrier?)
    /// Active health of every backend of the snapshot with this generation (by index).
    case health(generation: Int, healthy: [Bool])
    /// Use these certificates for TLS connections accepted from now on.
    case certificates(TLSContext)
    /// The route files and certificates were reloaded: long-lived client connections that
    /// can end cleanly (HTTP/2's GOAWAY) end, so that their clients come back to them.
    case reloaded
    /// Stop accepting, finish in-flight exchanges, and exit once idle or at the deadline
    /// (a monotonic time in milliseconds).
    case shutdown(deadline: Int64)
}

/// A queue of messages into one event loop: a locked array plus an eventfd that wakes the
/// loop. The eventfd is written only when the queue goes from empty to non-empty.
public final class Mailbox<Message: Sendable>: Sendable {
    let eventFD: Int32
    private let queue = Mutex<[Message]>([])

    public init() {
        eventFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(eventFD >= 0, "eventfd failed")
    }

    /// Called from any thread.
    public func send(_ message: Message) {
        let wasEmpty = queue.withLock { q -> Bool in
            q.append(message)
            return q.count == 1
        }
        if wasEmpty {
            var one: UInt64 = 1
            _ = withUnsafeBytes(of: &one) { Glibc.write(eventFD, $0.baseAddress, 8) }
        }
    }

    /// Called on the loop's thread when the eventfd is readable.
    func drain() -> [Message] {
        var counter: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &counter) { Glibc.read(eventFD, $0.baseAddress, 8) }
        return queue.withLock { q in
            let messages = q
            q.removeAll()
            return messages
        }
    }
}

/// The loop-side handler of a mailbox's eventfd.
final class MailboxHandler<Message: Sendable>: EventHandler {
    let mailbox: Mailbox<Message>
    let deliver: (Message) -> Void

    init(mailbox: Mailbox<Message>, deliver: @escaping (Message) -> Void) {
        self.mailbox = mailbox
        self.deliver = deliver
        super.init(fd: mailbox.eventFD)
    }

    override func handleEvent(_ events: UInt32) {
        for message in mailbox.drain() { deliver(message) }
    }
}
