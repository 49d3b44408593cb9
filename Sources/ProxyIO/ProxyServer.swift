import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// The data plane: one worker thread per core, each with its own event loop and its own
/// SO_REUSEPORT listener. Created and driven from the main thread.
public final class ProxyServer {
    private let mailboxes: [Mailbox<LoopMessage>]
    private let healthMailbox = Mailbox<LoopMessage>()
    private var threads: [pthread_t] = []
    private var healthThread: pthread_t?
    /// The workers' published request statistics.
    public let stats: StatsBoard
    public let port: UInt16

    /// Opens one listener per worker (so a bad address fails here, before any thread
    /// starts) and starts the workers.
    /// `onHealthChange(backend, healthy)` runs on the health checker's thread at every flip.
    public init(listen: SocketAddress, workers: Int, snapshot: RoutingSnapshot, settings: ServerSettings,
                onHealthChange: @escaping @Sendable (String, Bool) -> Void = { _, _ in }) throws(SocketError) {
        var fds: [Int32] = []
        var address = listen
        for _ in 0..<workers {
            switch openListener(address) {
            case .success(let fd):
                if fds.isEmpty && listen.port == 0 {
                    // Port 0: every worker must share the port the first listener got.
                    address = SocketAddress(ip: listen.ip, port: boundPort(fd))
                }
                fds.append(fd)
            case .failure(let error):
                for fd in fds { close(fd) }
                throw error
            }
        }
        port = address.port
        mailboxes = fds.map { _ in Mailbox<LoopMessage>() }
        stats = StatsBoard(workers: fds.count)
        for (index, (fd, mailbox)) in zip(fds, mailboxes).enumerated() {
            let start = WorkerStart(index: index, fd: fd, snapshot: snapshot, settings: settings, mailbox: mailbox, board: stats)
            threads.append(startThread {
                let worker = Worker(index: start.index, listenFD: start.fd, snapshot: start.snapshot, settings: start.settings,
                                    mailbox: start.mailbox, board: start.board)
                worker.run()
            })
        }
        let health = HealthStart(snapshot: snapshot, mailbox: healthMailbox, workers: mailboxes, onChange: onHealthChange)
        healthThread = startThread {
            HealthChecker(snapshot: health.snapshot, mailbox: health.mailbox, workers: health.workers,
                          onChange: health.onChange).run()
        }
    }

    /// Makes every worker route new requests with `snapshot`; `applied` runs (on some
    /// worker's thread) once every worker has switched.
    public func install(_ snapshot: RoutingSnapshot, applied: @escaping @Sendable () -> Void = {}) {
        let barrier = InstallBarrier(workers: mailboxes.count, completion: applied)
        for m in mailboxes { m.send(.install(snapshot, applied: barrier)) }
        healthMailbox.send(.install(snapshot, applied: nil))
    }

    /// Stops accepting, lets in-flight exchanges finish for up to `drainMs`, and returns
    /// when every worker has stopped.
    public func shutdown(drainMs: Int64) {
        let deadline = shim_monotonic_ms() + drainMs
        for m in mailboxes { m.send(.shutdown(deadline: deadline)) }
        for t in threads { pthread_join(t, nil) }
        threads = []
        healthMailbox.send(.shutdown(deadline: deadline))
        if let t = healthThread { pthread_join(t, nil) }
        healthThread = nil
    }
}

/// What a worker thread needs to build its loop.
private struct WorkerStart: Sendable {
    let index: Int
    let fd: Int32
    let snapshot: RoutingSnapshot
    let settings: ServerSettings
    let mailbox: Mailbox<LoopMessage>
    let board: StatsBoard
}

/// What the health checker thread needs.
private struct HealthStart: Sendable {
    let snapshot: RoutingSnapshot
    let mailbox: Mailbox<LoopMessage>
    let workers: [Mailbox<LoopMessage>]
    let onChange: @Sendable (String, Bool) -> Void
}
