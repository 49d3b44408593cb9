import CLinuxShim
import HTTP1
import ProxyCore
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to a backend. While an exchange uses it, its events go to the owning
/// `ClientConnection`, which holds all buffers; while idle in the worker's pool it only
/// watches for the backend closing it and for its idle timeout.
final class BackendConnection: EventHandler {
    /// Index of the backend in the routing snapshot.
    let backend: Int
    /// Unchecked: the worker owns the loop that owns this handler, and closes every handler
    /// before it goes, so the reference is always valid (and reading it costs no refcount).
    unowned(unsafe) let worker: Worker
    /// The routing (snapshot) the backend index belongs to.
    let routing: WorkerRouting
    /// The exchange using this connection; nil while idle: an HTTP/1.1 client connection's,
    /// or (`streamOwner`) an HTTP/2 stream's.
    var owner: ClientConnection?
    var streamOwner: StreamExchange?
    /// The non-blocking connect has not completed yet.
    var connecting = true
    /// The connection served an earlier exchange (so a failure before any response byte
    /// may just be the backend closing an idle connection).
    var reused = false
    /// The TLS layer to an `https://` backend, nil for plain HTTP.
    let tls: TLSStream?
    /// Response bytes were read since the last `acknowledgeReads()` (set by the owner's reads).
    var readSinceAcknowledged = false
    private var idleSince: Int64 = 0
    private let idleTimeoutMs: Int64

    private init(fd: Int32, backend: Int, routing: WorkerRouting, worker: Worker, idleTimeoutMs: Int64, tls: TLSStream?) {
        self.backend = backend
        self.tls = tls
        self.routing = routing
        self.worker = worker
        self.idleTimeoutMs = idleTimeoutMs
        super.init(fd: fd)
    }

    /// Starts a non-blocking connect (and, for an `https://` backend, a TLS client that
    /// shakes hands with the first write); returns nil with errno if it failed at once.
    static func connect(to backend: Int, routing: WorkerRouting, worker: Worker, idleTimeoutMs: Int64) -> (BackendConnection?, Int32) {
        let address = routing.snapshot.backends[backend]
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (nil, shim_errno()) }
        _ = shim_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        let rc = address.connect(fd)
        if rc != 0 {
            let e = shim_errno()
            if e != EINPROGRESS {
                Glibc.close(fd)
                return (nil, e)
            }
        }
        var tls: TLSStream? = nil
        if let host = routing.snapshot.backendTLSHosts[backend] {
            guard let context = worker.settings.backendTLS, let stream = TLSStream.client(context: context, fd: fd, host: host) else {
                Glibc.close(fd)
                return (nil, ENOMEM)
            }
            tls = stream
        }
        let conn = BackendConnection(fd: fd, backend: backend, routing: routing, worker: worker, idleTimeoutMs: idleTimeoutMs, tls: tls)
        conn.connecting = rc != 0
        worker.loop.register(conn, events: shim_EPOLLOUT | shim_EPOLLIN | shim_EPOLLRDHUP)
        return (conn, 0)
    }

    /// Writes as much of `out` as the socket takes, telling `exchange` of every write (once
    /// connected). Returns whether the write failed (the connection is then done for).
    @inline(__always)
    func send(_ out: inout ByteBuffer, _ exchange: inout Exchange, now: Int64) -> Bool {
        while out.readableBytes > 0 {
            let result = if let tls { tls.write(out.readable) } else { Syscall.write(fd, out.readable) }
            switch result {
            case .done(let n):
                out.consume(n)
                exchange.requestSent(now: now)
            case .wouldBlock, .eof:
                return false
            case .failed:
                return true
            }
        }
        return false
    }

    /// Runs when the owner has read part of a response and waits for the rest: acknowledges
    /// what was read at once. Linux would otherwise delay that ACK up to 40 ms (the request
    /// just sent makes the connection look interactive), and a backend whose send buffer or
    /// Nagle holds the rest of the response until it is acknowledged stalls that long.
    func acknowledgeReads() {
        guard readSinceAcknowledged else { return }
        readSinceAcknowledged = false
        _ = shim_set_int_option(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, 1)
    }

    /// Called when the connection goes back to the pool.
    func becomeIdle(now: Int64) {
        owner = nil
        streamOwner = nil
        readSinceAcknowledged = false
        reused = true
        idleSince = now
        worker.loop.setEvents(self, shim_EPOLLIN | shim_EPOLLRDHUP)
    }

    override func handleEvent(_ events: UInt32) {
        if let owner {
            owner.backendEvent(events)
        } else if let streamOwner {
            streamOwner.backendEvent(events)
        } else {
            // An idle connection must stay silent: readable means closed (or junk).
            worker.dropIdle(self)
        }
    }

    override func tick(now: Int64) {
        if owner == nil && streamOwner == nil && now - idleSince >= idleTimeoutMs { worker.dropIdle(self) }
    }
}
