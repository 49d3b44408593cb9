import CLinuxShim
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// A worker's listening socket (its own, sharing the address with SO_REUSEPORT): accepts until the
/// queue is empty and hands each connection to a new `ClientConnection`, over TLS with
/// the worker's current certificates when it is the TLS listener.
///
/// At the worker's connection limit it stops accepting, so new connections wait in the
/// kernel's backlog instead of being refused; it resumes when a client connection closes.
/// When the process is out of file descriptors it pauses for 100 ms instead of spinning.
///
/// The TLS listener takes one connection per loop iteration (as NGINX does by default): each
/// one costs a handshake, and during a reconnect storm the requests of established
/// connections, ready in the same iteration, go first; the listener stays readable, so the
/// next connection is taken in the next iteration.
final class Listener: EventHandler {
    /// Unchecked: the worker owns the loop that owns this handler, and closes every handler
    /// before it goes, so the reference is always valid (and reading it costs no refcount).
    unowned(unsafe) let worker: Worker
    /// Connections accepted here speak TLS.
    private let tls: Bool
    private var pausedUntil: Int64 = 0
    private var paused = false

    init(fd: Int32, worker: Worker, tls: Bool) {
        self.worker = worker
        self.tls = tls
        super.init(fd: fd)
    }

    override func handleEvent(_ events: UInt32) {
        acceptPending(limit: tls ? 1 : 64)
    }

    /// Accepts up to `limit` queued connections (all of them with `Int.max`).
    func acceptPending(limit: Int) {
        var accepted = 0
        while accepted < limit {
            guard worker.clientCount < worker.settings.maxConnectionsPerWorker else { return pause(until: Int64.max) }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = shim_accept(self.fd, &storage, &length)
            if fd < 0 {
                let e = shim_errno()
                if Syscall.isResourceShortage(e) { pause(until: worker.loop.now + 100) }
                return // EAGAIN: the queue is empty; other errors concern that one connection
            }
            _ = shim_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            var stream: TLSStream? = nil
            if tls {
                guard let context = worker.tlsContext, let s = TLSStream.server(context: context, fd: fd) else {
                    Syscall.close(fd)
                    continue
                }
                stream = s
            }
            let conn = ClientConnection(fd: fd, peer: SocketAddress.peerIP(storage), worker: worker, tls: stream)
            worker.loop.register(conn, events: shim_EPOLLIN | shim_EPOLLRDHUP)
            accepted += 1
        }
    }

    private func pause(until: Int64) {
        paused = true
        pausedUntil = until
        worker.loop.setEvents(self, 0)
    }

    /// Called when a client connection closes: room for one more.
    func clientClosed() {
        if paused && pausedUntil == Int64.max { resume() }
    }

    override func tick(now: Int64) {
        if paused && now >= pausedUntil { resume() }
    }

    private func resume() {
        paused = false
        worker.loop.setEvents(self, shim_EPOLLIN)
    }
}

/// Opens a non-blocking listening socket on `address`. The first socket of an address
/// (`joining` false) is bound without SO_REUSEPORT, so the bind fails with "Address already
/// in use" when any socket holds the address, another Sluice's included; SO_REUSEPORT is set
/// on it after the bind, so this process's later sockets (`joining` true: the other
/// workers') share the address with it. No other process can join: its own first bind is
/// refused in turn. See docs/operators.md, "One instance per port and state directory".
public func openListener(_ address: SocketAddress, joining: Bool = false) -> Result<Int32, SocketError> {
    let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return .failure(SocketError(operation: "socket", errno: shim_errno())) }
    _ = shim_set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1)
    if joining { _ = shim_set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
    var storage = address.storage
    let rc = withUnsafePointer(to: &storage) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, address.length) }
    }
    guard rc == 0 else {
        let e = shim_errno()
        close(fd)
        return .failure(SocketError(operation: "bind", errno: e))
    }
    if !joining { _ = shim_set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
    guard listen(fd, 4096) == 0 else {
        let e = shim_errno()
        close(fd)
        return .failure(SocketError(operation: "listen", errno: e))
    }
    return .success(fd)
}

/// The port a bound socket got (for `:0` listeners).
public func boundPort(_ fd: Int32) -> UInt16 {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &storage) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return withUnsafeBytes(of: &storage) { raw in
        UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    }
}

public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
