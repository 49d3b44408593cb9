import CLinuxShim
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// One active health check: a non-blocking `GET <path>` on a fresh connection, success
/// when the status line arrives with a 2xx or 3xx before the timeout. Lives on the health
/// checker's loop and reports exactly once.
final class HealthProbe: EventHandler {
    let backend: Int
    private let generation: Int
    private unowned let checker: HealthChecker
    private let deadline: Int64
    private var request: [UInt8]
    private var sent = 0
    private var connecting = true
    private var response = ByteBuffer(capacity: 64)
    private var finished = false

    private init(fd: Int32, backend: Int, generation: Int, checker: HealthChecker, deadline: Int64, request: [UInt8]) {
        self.backend = backend
        self.generation = generation
        self.checker = checker
        self.deadline = deadline
        self.request = request
        super.init(fd: fd)
    }

    /// Starts a probe; reports failure at once if the connect fails immediately.
    static func start(backend: Int, generation: Int, address: SocketAddress, request: [UInt8], timeoutMs: Int64, checker: HealthChecker) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return checker.report(backend: backend, generation: generation, success: false) }
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        if rc != 0 && shim_errno() != EINPROGRESS {
            Glibc.close(fd)
            return checker.report(backend: backend, generation: generation, success: false)
        }
        let probe = HealthProbe(fd: fd, backend: backend, generation: generation, checker: checker,
                                deadline: checker.loop.now + timeoutMs, request: request)
        checker.loop.register(probe, events: shim_EPOLLOUT | shim_EPOLLIN | shim_EPOLLRDHUP)
    }

    override func handleEvent(_ events: UInt32) {
        if connecting {
            guard shim_socket_error(fd) == 0 else { return finish(false) }
            guard events & shim_EPOLLOUT != 0 else { return }
            connecting = false
        }
        while sent < request.count {
            let result = request.withUnsafeBytes { Syscall.write(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch result {
            case .done(let n): sent += n
            case .wouldBlock: return
            case .eof, .failed: return finish(false)
            }
        }
        checker.loop.setEvents(self, shim_EPOLLIN | shim_EPOLLRDHUP)
        response.reserve(64)
        switch Syscall.read(fd, response.writable) {
        case .done(let n):
            response.didWrite(n)
        case .wouldBlock:
            return
        case .eof, .failed:
            return finish(false)
        }
        // "HTTP/1.x SSS": enough to judge.
        let bytes = response.readable
        guard bytes.count >= 12 else { return }
        let status = (Int(bytes[9]) - 48) * 100 + (Int(bytes[10]) - 48) * 10 + (Int(bytes[11]) - 48)
        finish(bytes.equals(0..<7, "HTTP/1.") && status >= 200 && status < 400)
    }

    override func tick(now: Int64) {
        if now >= deadline { finish(false) }
    }

    private func finish(_ success: Bool) {
        guard !finished else { return }
        finished = true
        checker.loop.close(self)
        checker.report(backend: backend, generation: generation, success: success)
    }
}
