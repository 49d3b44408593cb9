import CLinuxShim
import HTTP1
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// One worker thread's world: its event loop, listeners (plain and TLS), routing state,
/// TLS certificates, idle backend connections and access-log buffer. Everything here is
/// touched only by that thread.
final class Worker {
    let loop = EventLoop()
    let settings: ServerSettings
    /// Routing for exchanges that start now.
    private(set) var routing: WorkerRouting
    /// Certificates for TLS connections accepted from now on (nil without a TLS listener).
    private(set) var tlsContext: TLSContext?
    private var listeners: [Listener] = []
    var ids = RequestIDGenerator()
    /// Access-log lines of this iteration, handed to the sink once per loop iteration.
    var accessLog = ByteBuffer(capacity: 64 * 1024)
    var timestamp = Timestamp()
    /// Open client connections (for the connection limit and to know when a drain is done).
    private(set) var clientCount = 0
    /// This worker's request statistics, published to `board` every 250 ms.
    var stats = WorkerStats()
    private let index: Int
    private let board: StatsBoard
    private var nextPublish: Int64 = 0
    /// Idle connections gave buffers back since the last trim of the heap.
    var buffersFreed = false
    private var nextTrim: Int64 = 0
    private(set) var draining = false
    private var drainDeadline: Int64 = 0

    init(index: Int, listenFD: Int32, tlsListenFD: Int32?, tlsContext: TLSContext?, snapshot: RoutingSnapshot,
         settings: ServerSettings, mailbox: Mailbox<LoopMessage>, board: StatsBoard) {
        self.index = index
        self.board = board
        self.settings = settings
        self.tlsContext = tlsContext
        var stats = WorkerStats()
        let slots = snapshot.routes.map { stats.slot(for: $0.route.name) }
        self.stats = stats
        routing = WorkerRouting(snapshot: snapshot, maxConnectionsPerBackend: settings.maxConnectionsPerBackend, statsSlots: slots)
        listeners.append(Listener(fd: listenFD, worker: self, tls: false))
        if let fd = tlsListenFD { listeners.append(Listener(fd: fd, worker: self, tls: true)) }
        for listener in listeners { loop.register(listener, events: shim_EPOLLIN) }
        loop.register(MailboxHandler(mailbox: mailbox) { [unowned self] in self.receive($0) }, events: shim_EPOLLIN)
        loop.afterIteration = { [unowned self] in self.afterIteration() }
    }

    /// Runs the loop on the calling thread until shutdown completes.
    func run() { loop.run() }

    private func receive(_ message: LoopMessage) {
        switch message {
        case .install(let snapshot, let applied):
            for conn in routing.retire() { loop.close(conn) }
            let slots = snapshot.routes.map { stats.slot(for: $0.route.name) }
            routing = WorkerRouting(snapshot: snapshot, maxConnectionsPerBackend: settings.maxConnectionsPerBackend,
                                    statsSlots: slots, previous: routing)
            applied?.acknowledge()
        case .health(let generation, let healthy):
            routing.updateHealth(generation: generation, healthy: healthy)
        case .certificates(let context):
            tlsContext = context
        case .reloaded:
            for handler in loop.allHandlers { handler.reloaded() }
        case .shutdown(let deadline):
            draining = true
            drainDeadline = deadline
            // Connections already in the accept queues were promised service: take them
            // before closing, which would reset them.
            for l in listeners {
                l.acceptPending(limit: Int.max)
                loop.close(l)
            }
            listeners = []
            for handler in loop.allHandlers { handler.drain() }
        }
    }

    func clientOpened() { clientCount += 1 }

    func clientClosed() {
        clientCount -= 1
        for l in listeners { l.clientClosed() }
    }

    private func afterIteration() {
        if loop.now >= nextPublish {
            nextPublish = loop.now + EventLoop.tickInterval
            stats.activeConnections = clientCount
            board.publish(worker: index, stats)
        }
        if buffersFreed && loop.now >= nextTrim {
            // The freed buffers leave touched pages inside the heap that malloc keeps; hand
            // them back, at most once a second, so that idle connections cost their own
            // footprint in resident memory rather than their busiest moment's.
            buffersFreed = false
            nextTrim = loop.now + 1_000
            shim_malloc_trim()
        }
        if accessLog.readableBytes > 0 {
            settings.accessLog?.write(accessLog.readable)
            accessLog.clear()
        }
        if draining && (clientCount == 0 || loop.now >= drainDeadline) {
            for handler in loop.allHandlers where !(handler is MailboxHandler<LoopMessage>) { loop.close(handler) }
            loop.stop()
        }
    }

    // MARK: Backend connections

    /// Returns a connection whose last exchange ended cleanly to its routing's idle pool,
    /// or closes it when shutting down or when its snapshot was replaced.
    func putIdle(_ conn: BackendConnection) {
        if !draining && conn.routing.putIdle(conn) {
            conn.becomeIdle(now: loop.now)
        } else {
            loop.close(conn)
        }
    }

    /// Forgets an idle connection that the backend closed or that timed out.
    func dropIdle(_ conn: BackendConnection) {
        conn.routing.removeIdle(conn)
        loop.close(conn)
    }
}
