import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// The data plane: one worker thread per core, each with its own event loop and its own
/// SO_REUSEPORT listeners (plain, and TLS when configured). Created and driven from the
/// main thread.
public final class ProxyServer {
    private let mailboxes: [Mailbox<LoopMessage>]
    private let healthMailbox = Mailbox<LoopMessage>()
    private var threads: [pthread_t] = []
    private var healthThread: pthread_t?
    /// The workers' published request statistics.
    public let stats: StatsBoard
    public let port: UInt16
    /// The TLS listener's port, nil without one.
    public let tlsPort: UInt16?

    /// Opens the listeners of every worker (so a bad address fails here, before any thread
    /// starts) and starts the workers.
    /// `onHealthChange(backend, healthy)` runs on the health checker's thread at every flip.
    public init(listen: SocketAddress, tls: TLSListen? = nil, workers: Int, snapshot: RoutingSnapshot, settings: ServerSettings,
                onHealthChange: @escaping @Sendable (String, Bool) -> Void = { _, _ in }) throws(SocketError) {
        let (fds, port) = try Self.openListeners(listen, count: workers)
        var tlsFDs: [Int32?] = fds.map { _ in nil }
        if let tls {
            do {
                let (opened, tlsPort) = try Self.openListeners(tls.address, count: workers)
                tlsFDs = opened
                self.tlsPort = tlsPort
            } catch {
                for fd in fds { close(fd) }
                throw SocketError(operation: "TLS listener: \(error.operation)", errno: error.errno)
            }
        } else {
            tlsPort = nil
        }
        self.port = port
        mailboxes = fds.map { _ in Mailbox<LoopMessage>() }
        stats = StatsBoard(workers: fds.count)
        for index in fds.indices {
            let start = WorkerStart(index: index, fd: fds[index], tlsFD: tlsFDs[index], tlsContext: tls?.context, snapshot: snapshot,
                                    settings: settings, mailbox: mailboxes[index], board: stats)
            threads.append(startThread {
                let worker = Worker(index: start.index, listenFD: start.fd, tlsListenFD: start.tlsFD, tlsContext: start.tlsContext,
                                    snapshot: start.snapshot, settings: start.settings, mailbox: start.mailbox,
                                    board: start.board)
                worker.run()
            })
        }
        let health = HealthStart(snapshot: snapshot, mailbox: healthMailbox, workers: mailboxes, backendTLS: settings.backendTLS,
                                 onChange: onHealthChange)
        healthThread = startThread {
            HealthChecker(snapshot: health.snapshot, mailbox: health.mailbox, workers: health.workers,
                          backendTLS: health.backendTLS, onChange: health.onChange).run()
        }
    }

    /// One listening socket per worker on `address`, and the port they share (with port 0,
    /// the one the first socket got). Throws when the address is taken by anyone else.
    private static func openListeners(_ address: SocketAddress, count: Int) throws(SocketError) -> ([Int32], UInt16) {
        var fds: [Int32] = []
        var bound = address
        for _ in 0..<count {
            switch openListener(bound, joining: !fds.isEmpty) {
            case .success(let fd):
                if fds.isEmpty && address.port == 0 { bound = SocketAddress(ip: address.ip, port: boundPort(fd)) }
                fds.append(fd)
            case .failure(let error):
                for fd in fds { close(fd) }
                throw error
            }
        }
        return (fds, bound.port)
    }

    /// Makes every worker route new requests with `snapshot`; `applied` runs (on some
    /// worker's thread) once every worker has switched.
    public func install(_ snapshot: RoutingSnapshot, applied: @escaping @Sendable () -> Void = {}) {
        let barrier = InstallBarrier(workers: mailboxes.count, completion: applied)
        for m in mailboxes { m.send(.install(snapshot, applied: barrier)) }
        healthMailbox.send(.install(snapshot, applied: nil))
    }

    /// Makes every worker use `context` for the TLS connections it accepts from now on;
    /// open connections keep the certificates they started with.
    public func install(certificates context: TLSContext) {
        for m in mailboxes { m.send(.certificates(context)) }
    }

    /// Tells every worker that a reload was installed (after `install`, so the messages arrive
    /// in that order): HTTP/2 client connections send GOAWAY and finish their open streams.
    public func reloaded() {
        for m in mailboxes { m.send(.reloaded) }
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
    let tlsFD: Int32?
    let tlsContext: TLSContext?
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
    let backendTLS: TLSClientContext?
    let onChange: @Sendable (String, Bool) -> Void
}
