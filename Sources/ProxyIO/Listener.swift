import CLinuxShim
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// A worker's listening socket (its own, bound with SO_REUSEPORT): accepts until the
/// queue is empty and hands each connection to a new `ClientConnection`.
final class Listener: EventHandler {
    unowned let worker: Worker

    init(fd: Int32, worker: Worker) {
        self.worker = worker
        super.init(fd: fd)
    }

    override func handleEvent(_ events: UInt32) {
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = shim_accept(self.fd, &storage, &length)
            if fd < 0 { return } // EAGAIN, or a transient error such as EMFILE: try on the next event
            _ = shim_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let conn = ClientConnection(fd: fd, peer: SocketAddress.peerIP(storage), worker: worker)
            worker.loop.register(conn, events: shim_EPOLLIN | shim_EPOLLRDHUP)
        }
    }
}

/// Opens a non-blocking listening socket with SO_REUSEPORT; each worker gets its own.
public func openListener(_ address: SocketAddress) -> Result<Int32, SocketError> {
    let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return .failure(SocketError(operation: "socket", errno: shim_errno())) }
    _ = shim_set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1)
    _ = shim_set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1)
    var storage = address.storage
    let rc = withUnsafePointer(to: &storage) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, address.length) }
    }
    guard rc == 0 else {
        let e = shim_errno()
        close(fd)
        return .failure(SocketError(operation: "bind", errno: e))
    }
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
