import Glibc
import ProxyIO
import Synchronization

/// An in-process HTTP/1.1 backend for `sluice demo`: a blocking listener on 127.0.0.1 with a
/// thread per connection, answering `GET /health` with 200 and anything else with a small
/// JSON body naming its pool after 1-4 ms, or, at the injected error rate, with a 500.
/// Requests must not carry a body (the demo sends GETs only).
final class DemoBackend: Sendable {
    let pool: String
    let port: UInt16
    private let listener: Int32
    private let errorRate = Mutex(0.0)

    /// Binds an ephemeral loopback port and starts accepting.
    init(pool: String) throws {
        self.pool = pool
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw DemoError("cannot start the \(pool) backend: \(String(cString: strerror(errno)))") }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        startDetachedThread { [self] in acceptForever() }
    }

    /// Sets the share of requests answered with a 500 from now on (0 for none).
    func inject(errorRate rate: Double) {
        errorRate.withLock { $0 = rate }
    }

    private func acceptForever() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            startDetachedThread { [self] in serve(fd) }
        }
    }

    /// Answers requests on one connection until the peer closes it.
    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var random = SystemRandomNumberGenerator()
        let separator = Array("\r\n\r\n".utf8)
        while true {
            guard let end = pending.firstRange(of: separator)?.lowerBound else {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else { return }
                pending += buffer[0..<n]
                continue
            }
            let isHealth = pending.starts(with: Array("GET /health ".utf8))
            pending.removeFirst(end + 4)
            let rate = errorRate.withLock { $0 }
            let (status, body): (String, String)
            if isHealth {
                (status, body) = ("200 OK", "{\"status\":\"ok\"}")
            } else {
                usleep(UInt32(1_000 + Int.random(in: 0..<3_000, using: &random)))
                if Double.random(in: 0..<1, using: &random) < rate {
                    (status, body) = ("500 Internal Server Error", "{\"error\":\"injected\",\"pool\":\"\(pool)\"}")
                } else {
                    (status, body) = ("200 OK", "{\"pool\":\"\(pool)\"}")
                }
            }
            let response = Array("HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
            guard response.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == response.count else { return }
        }
    }
}

/// Why the demo could not run.
struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
