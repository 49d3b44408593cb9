import Synchronization

/// Counts the workers that have installed a snapshot and runs `completion` once, on the
/// thread of the last one, when all have. This is what lets the control side answer
/// "the new split is live" only when it is.
public final class InstallBarrier: Sendable {
    private let remaining: Mutex<Int>
    private let completion: @Sendable () -> Void

    init(workers: Int, completion: @escaping @Sendable () -> Void) {
        remaining = Mutex(workers)
        self.completion = completion
        if workers == 0 { completion() }
    }

    /// Called by each worker after it switched to the snapshot.
    func acknowledge() {
        let last = remaining.withLock { n -> Bool in
            n -= 1
            return n == 0
        }
        if last { completion() }
    }
}
