import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// The admin listener: its own thread and event loop (never a worker's), speaking HTTP/1.1
/// with the same parser as the proxy. Each request goes to the handler on this loop;
/// `perform` runs other control-side work on the same loop, so the control plane's state
/// is only ever touched by this one thread.
public final class AdminServer {
    let loop = EventLoop()
    private let handler: AdminHandler
    private let mailbox: Mailbox<AdminMessage>
    private var connections: [Int: AdminConnection] = [:]
    private var nextID = 0
    /// The admin listener's certificates (`--admin-cert`); nil for plain HTTP.
    private let tls: TLSContext?

    private init(listenFD: Int32, tls: TLSContext?, handler: @escaping AdminHandler, mailbox: Mailbox<AdminMessage>,
                 everySecond: @escaping @Sendable () -> Void) {
        self.tls = tls
        self.handler = handler
        self.mailbox = mailbox
        var next: Int64 = 0
        loop.afterIteration = { [unowned loop] in
            guard loop.now >= next else { return }
            next = loop.now + 1_000
            everySecond()
        }
        loop.register(AdminListener(fd: listenFD, server: self), events: shim_EPOLLIN)
        loop.register(MailboxHandler(mailbox: mailbox) { [unowned self] in self.receive($0) }, events: shim_EPOLLIN)
    }

    /// Binds `address` (failing here, before any thread starts) and serves on a new thread,
    /// over TLS with `tls`; `everySecond` runs on the admin loop about once a second. Returns
    /// the handle that other threads use to reach the admin loop.
    public static func start(address: SocketAddress, tls: TLSContext? = nil, handler: @escaping AdminHandler,
                             everySecond: @escaping @Sendable () -> Void) throws(SocketError) -> AdminLoopHandle {
        let fd: Int32
        switch openListener(address) {
        case .success(let f): fd = f
        case .failure(let error): throw error
        }
        let mailbox = Mailbox<AdminMessage>()
        let port = boundPort(fd)
        let thread = startThread {
            let server = AdminServer(listenFD: fd, tls: tls, handler: handler, mailbox: mailbox, everySecond: everySecond)
            server.run()
        }
        return AdminLoopHandle(mailbox: mailbox, thread: thread, port: port)
    }

    /// Runs the admin loop on the calling thread until `stop()`.
    func run() { loop.run() }

    func accepted(fd: Int32) {
        var stream: TLSStream? = nil
        if let tls {
            guard let s = TLSStream.server(context: tls, fd: fd) else { return Syscall.close(fd) }
            stream = s
        }
        nextID += 1
        let conn = AdminConnection(fd: fd, id: nextID, server: self, tls: stream)
        connections[nextID] = conn
        loop.register(conn, events: shim_EPOLLIN | shim_EPOLLRDHUP)
    }

    func dispatch(_ request: AdminRequest, from conn: AdminConnection) {
        let (id, mailbox) = (conn.id, mailbox)
        handler(request, AdminReply { mailbox.send(.reply(connection: id, response: $0)) })
    }

    func close(_ conn: AdminConnection) {
        connections[conn.id] = nil
        loop.close(conn)
    }

    private func receive(_ message: AdminMessage) {
        switch message {
        case .reply(let id, let response):
            guard let conn = connections[id] else { return } // the client went away
            conn.queue(response)
            conn.step()
        case .perform(let work):
            work()
        case .shutdown:
            loop.stop()
        }
    }
}

/// How other threads reach a running admin loop.
public struct AdminLoopHandle: Sendable {
    let mailbox: Mailbox<AdminMessage>
    let thread: pthread_t
    public let port: UInt16

    /// Runs `work` on the admin loop.
    public func perform(_ work: @escaping @Sendable () -> Void) { mailbox.send(.perform(work)) }

    /// Stops the admin loop and waits for its thread.
    public func stop() {
        mailbox.send(.shutdown)
        pthread_join(thread, nil)
    }
}

/// Accepts admin connections. Out of file descriptors it pauses for 100 ms (until the next
/// tick) instead of spinning on a listener that stays readable; the client-connection budget
/// keeps descriptors for it (`FileDescriptorBudget`).
private final class AdminListener: EventHandler {
    unowned let server: AdminServer
    private var pausedUntil: Int64?

    init(fd: Int32, server: AdminServer) {
        self.server = server
        super.init(fd: fd)
    }

    override func handleEvent(_ events: UInt32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let fd = shim_accept(self.fd, &storage, &length)
            guard fd >= 0 else {
                if Syscall.isResourceShortage(shim_errno()) {
                    pausedUntil = server.loop.now + 100
                    server.loop.setEvents(self, 0)
                }
                return
            }
            server.accepted(fd: fd)
        }
    }

    override func tick(now: Int64) {
        guard let until = pausedUntil, now >= until else { return }
        pausedUntil = nil
        server.loop.setEvents(self, shim_EPOLLIN)
    }
}
