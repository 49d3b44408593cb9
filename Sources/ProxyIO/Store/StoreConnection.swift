import CLinuxShim
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to a store member, on the store's loop: sends one request at a time
/// and reads its answer with a `ResponseReader`, handing the body's data to `loop` as it
/// comes (a watch) or whole at the end (a request). Kept alive between requests.
final class StoreConnection: EventHandler {
    enum Phase: Equatable {
        case connecting
        case sending
        case receiving
        case idle
        case closed
    }

    /// Index of the member in the loop's endpoints.
    let endpoint: Int
    unowned let loop: StoreLoop
    private(set) var phase = Phase.connecting
    /// The connection carried an earlier exchange (a failure before any answer byte may be
    /// the member closing it while idle).
    private(set) var reused = false
    /// Bytes of the current answer received.
    private(set) var answerBytes = 0
    /// When the exchange under way fails unless its answer (or, streaming, its head) is in.
    var deadline: Int64 = .max
    private var request: [UInt8] = []
    private var sent = 0
    private var reader = ResponseReader()
    private var readBuffer = [UInt8](repeating: 0, count: 16_384)

    private init(fd: Int32, endpoint: Int, loop: StoreLoop) {
        self.endpoint = endpoint
        self.loop = loop
        super.init(fd: fd)
    }

    /// Starts a non-blocking connect to `address`; nil with the reason when it failed at once.
    static func connect(to address: SocketAddress, endpoint: Int, loop: StoreLoop) -> (StoreConnection?, String) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (nil, "socket: errno \(shim_errno())") }
        _ = shim_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        if address.connect(fd) != 0 && shim_errno() != EINPROGRESS {
            let reason = "connect: errno \(shim_errno())"
            Glibc.close(fd)
            return (nil, reason)
        }
        let connection = StoreConnection(fd: fd, endpoint: endpoint, loop: loop)
        loop.eventLoop.register(connection, events: shim_EPOLLOUT | shim_EPOLLRDHUP)
        return (connection, "")
    }

    /// Sends `bytes` (a whole request) and reads its answer, which must come before `deadline`.
    func send(_ bytes: [UInt8], deadline: Int64) {
        precondition(phase == .connecting || phase == .idle, "one exchange at a time")
        request = bytes
        sent = 0
        answerBytes = 0
        reader = ResponseReader()
        self.deadline = deadline
        if phase == .idle {
            phase = .sending
            reused = true
            write()
        }
    }

    override func handleEvent(_ events: UInt32) {
        switch phase {
        case .connecting:
            guard shim_socket_error(fd) == 0 else { return loop.failed(self, "connect refused or unreachable") }
            guard events & shim_EPOLLOUT != 0 else { return }
            phase = .sending
            write()
        case .sending:
            write()
        case .receiving:
            read()
        case .idle:
            // An idle connection must stay silent: readable means closed (or junk).
            loop.failed(self, "closed while idle")
        case .closed:
            break
        }
    }

    override func tick(now: Int64) {
        if phase != .closed && phase != .idle && now >= deadline { loop.failed(self, "timed out") }
    }

    /// Closes the connection; no call to the loop follows.
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        loop.eventLoop.close(self)
    }

    private func write() {
        while sent < request.count {
            let result = request.withUnsafeBytes { Syscall.write(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch result {
            case .done(let n): sent += n
            case .wouldBlock:
                loop.eventLoop.setEvents(self, shim_EPOLLOUT | shim_EPOLLRDHUP)
                return
            case .eof, .failed(_): return loop.failed(self, "send failed")
            }
        }
        phase = .receiving
        loop.eventLoop.setEvents(self, shim_EPOLLIN | shim_EPOLLRDHUP)
        read()
    }

    private func read() {
        while phase == .receiving {
            let result = readBuffer.withUnsafeMutableBytes { Syscall.read(fd, $0) }
            var body: [UInt8] = []
            let progress: ResponseReader.Progress
            var extraBytes = false
            switch result {
            case .done(let n):
                answerBytes += n
                let (consumed, p) = readBuffer.withUnsafeBytes { reader.read(UnsafeRawBufferPointer(rebasing: $0[..<n]), body: &body) }
                progress = p
                extraBytes = consumed < n
            case .wouldBlock:
                return
            case .eof:
                progress = reader.endOfInput()
            case .failed(let e):
                return loop.failed(self, "receive failed: errno \(e)")
            }
            switch progress {
            case .needMore:
                loop.received(self, status: reader.status, data: body, complete: false, reusable: false)
            case .complete:
                // Bytes after the answer are not expected (no pipelining): the connection is
                // not reused after them.
                phase = .idle
                loop.eventLoop.setEvents(self, shim_EPOLLIN | shim_EPOLLRDHUP)
                loop.received(self, status: reader.status, data: body, complete: true, reusable: reader.keepAlive && !extraBytes)
            case .failed(let reason):
                return loop.failed(self, reason)
            }
        }
    }
}
