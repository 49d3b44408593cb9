import Synchronization

/// Where workers publish copies of their `WorkerStats` (every 250 ms) and the control
/// side reads them (for /metrics). One lock per publish, none per request.
public final class StatsBoard: Sendable {
    private let slots: Mutex<[WorkerStats]>

    init(workers: Int) {
        slots = Mutex(Array(repeating: WorkerStats(), count: workers))
    }

    func publish(worker: Int, _ stats: WorkerStats) {
        slots.withLock { $0[worker] = stats }
    }

    /// The latest copy from every worker.
    public func read() -> [WorkerStats] {
        slots.withLock { $0 }
    }
}
