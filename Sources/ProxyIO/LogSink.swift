import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where log lines go: a bounded in-memory queue written to a file descriptor (stdout or
/// stderr) by a thread of its own, so an event loop never blocks on a slow reader of the
/// log. When the queue is over `maxQueued` bytes, new lines are dropped and counted.
public final class LogSink: Sendable {
    private struct Queue {
        var bytes: [UInt8] = []
        var dropped = 0
        /// The writer thread holds bytes it has taken but not yet written.
        var writing = false
    }

    private let fd: Int32
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let maxQueued = 8 << 20

    public static let stdout = LogSink(fd: 1)
    public static let stderr = LogSink(fd: 2)

    /// A sink writing to `fd` (which stays open) from a thread of its own.
    public init(fd: Int32) {
        self.fd = fd
        startThread { [self] in self.writeForever() }
    }

    /// Queues whole lines; called from any thread.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        let wasEmpty = queue.withLock { q -> Bool in
            if q.bytes.count + bytes.count > maxQueued {
                q.dropped += 1
                return false
            }
            let empty = q.bytes.isEmpty
            q.bytes.append(contentsOf: bytes)
            return empty
        }
        if wasEmpty { wake.signal() }
    }

    /// Blocks until everything queued so far has been written (used at exit).
    public func flush() {
        while queue.withLock({ !$0.bytes.isEmpty || $0.writing }) { usleep(1000) }
    }

    private func writeForever() {
        var pending: [UInt8] = []
        while true {
            wake.wait()
            queue.withLock { q in
                swap(&pending, &q.bytes)
                q.writing = true
            }
            pending.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { if errno == EINTR { continue }; break }
                    offset += n
                }
            }
            pending.removeAll(keepingCapacity: true)
            queue.withLock { $0.writing = false }
        }
    }
}
