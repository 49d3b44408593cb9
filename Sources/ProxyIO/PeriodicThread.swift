import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own that runs `body` every `intervalMs` until `stop`: the fleet link's
/// renewals and registration. It sleeps between runs, so it is never an event loop's.
/// `body` gets the run's number (0, 1, 2, ...).
public final class PeriodicThread: Sendable {
    private final class Flag: Sendable {
        let running = Atomic<Bool>(true)
    }

    private let flag = Flag()
    private let thread = Mutex<pthread_t?>(nil)

    public init(intervalMs: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let flag = flag
        let started = startThread {
            var run = 0
            while flag.running.load(ordering: .relaxed) {
                body(run)
                run += 1
                usleep(useconds_t(intervalMs * 1_000))
            }
        }
        thread.withLock { $0 = started }
    }

    /// Ends the loop and waits for the thread (up to one interval). Call once.
    public func stop() {
        flag.running.store(false, ordering: .relaxed)
        if let t = thread.withLock({ $0 }) { pthread_join(t, nil) }
    }
}
