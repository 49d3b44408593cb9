import CLinuxShim
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// One active health check: a non-blocking `GET <path>` on a fresh connection (over TLS to
/// an `https://` backend), success when the status line arrives with a 2xx or 3xx before
/// the timeout. Lives on the health checker's loop and reports exactly once.
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
    private let tls: TLSStream?

    private init(fd: Int32, backend: Int, generation: Int, checker: HealthChecker, deadline: Int64, request: [UInt8], tls: TLSStream?) {
        self.backend = backend
        self.tls = tls
        self.generation = generation
        self.checker = checker
        self.deadline = deadline
        self.request = request
        super.init(fd: fd)
    }

    /// Starts a probe; reports failure at once if the connect fails immediately, and no
    /// verdict at all when Sluice itself is short of descriptors or memory (EMFILE, ENFILE,
    /// ENOBUFS, ENOMEM): a flood of clients must not mark healthy backends down.
    static func start(backend: Int, generation: Int, address: SocketAddress, tlsHost: String?, request: [UInt8], timeoutMs: Int64,
                      checker: HealthChecker) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let shortage = Syscall.isResourceShortage(shim_errno())
            return checker.report(backend: backend, generation: generation, success: shortage ? nil : false)
        }
        let rc = address.connect(fd)
        if rc != 0, case let e = shim_errno(), e != EINPROGRESS {
            Glibc.close(fd)
            let shortage = Syscall.isResourceShortage(e) || e == EAGAIN // EAGAIN: no local port left
            return checker.report(backend: backend, generation: generation, success: shortage ? nil : false)
        }
        var tls: TLSStream? = nil
        if let tlsHost {
            guard let context = checker.backendTLS, let stream = TLSStream.client(context: context, fd: fd, host: tlsHost) else {
                Glibc.close(fd)
                return checker.report(backend: backend, generation: generation, success: false)
            }
            tls = stream
        }
        let probe = HealthProbe(fd: fd, backend: backend, generation: generation, checker: checker,
                                deadline: checker.loop.now + timeoutMs, request: request, tls: tls)
        checker.loop.register(probe, events: shim_EPOLLOUT | shim_EPOLLIN | shim_EPOLLRDHUP)
    }

    override func handleEvent(_ events: UInt32) {
        if connecting {
            guard shim_socket_error(fd) == 0 else { return finish(false) }
            guard events & shim_EPOLLOUT != 0 else { return }
            connecting = false
        }
        while sent < request.count {
            let result = request.withUnsafeBytes { bytes in
                let rest = UnsafeRawBufferPointer(rebasing: bytes[sent...])
                return if let tls { tls.write(rest) } else { Syscall.write(fd, rest) }
            }
            switch result {
            case .done(let n): sent += n
            case .wouldBlock: return wait(writing: true)
            case .eof, .failed: return finish(false)
            }
        }
        // Read until the status line is in: over TLS, bytes of a record already decrypted
        // stay inside OpenSSL, where epoll cannot see them.
        while response.readableBytes < 12 {
            response.reserve(64)
            let result = if let tls { tls.read(response.writable) } else { Syscall.read(fd, response.writable) }
            switch result {
            case .done(let n): response.didWrite(n)
            case .wouldBlock: return wait(writing: false)
            case .eof, .failed: return finish(false)
            }
        }
        // "HTTP/1.x SSS": enough to judge.
        let bytes = response.readable
        let status = (Int(bytes[9]) - 48) * 100 + (Int(bytes[10]) - 48) * 10 + (Int(bytes[11]) - 48)
        finish(bytes.equals(0..<7, "HTTP/1.") && status >= 200 && status < 400)
    }

    /// Waits for the readiness the stalled call needs: a write for writable (or readable
    /// while TLS must read first), a read for readable (or writable while TLS must write).
    private func wait(writing: Bool) {
        let writable = writing ? tls?.wantsReadable != true : tls?.wantsWritable == true
        checker.loop.setEvents(self, writable ? shim_EPOLLOUT : shim_EPOLLIN | shim_EPOLLRDHUP)
    }

    override func tick(now: Int64) {
        if now >= deadline { finish(false) }
    }

    private func finish(_ success: Bool) {
        guard !finished else { return }
        finished = true
        checker.loop.close(self)
        checker.report(backend: backend, generation: generation, success: success, failure: success ? nil : tls?.failure)
    }
}
