import CLinuxShim
import Foundation
import ProxyIO
import Traffic

/// A blocking HTTP/1.1 client for `sluice ctl`: one request per connection to the admin
/// API, with a timeout. (Blocking is fine here: ctl is a command-line process, not a loop.)
struct AdminClient {
    let host: String
    let port: UInt16
    let token: String?
    var timeoutSeconds: Int32 = 10

    /// Parses `http://HOST:PORT`, `HOST:PORT` or `:PORT`.
    init(url: String, token: String?) throws(UsageError) {
        var text = url
        if text.hasPrefix("http://") { text.removeFirst(7) }
        if text.hasSuffix("/") { text.removeLast() }
        if text.hasPrefix(":") { text = "127.0.0.1" + text }
        guard let (host, port) = BackendAddress.parseHostPort(text) else {
            throw UsageError("--admin: '\(url)' is not http://HOST:PORT")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : (host == "localhost" ? "127.0.0.1" : host)
        self.port = port
        self.token = token
    }

    struct Response {
        let status: Int
        let body: Data
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    }

    struct Failure: Error { let message: String }

    func send(_ method: String, _ path: String, body: Any? = nil) throws(Failure) -> Response {
        guard let ip = IPAddress(parsing: host) else { throw Failure(message: "admin host \(host) must be an IP address or localhost") }
        let address = SocketAddress(ip: ip, port: port)
        let payload = body.flatMap { try? JSONSerialization.data(withJSONObject: $0) } ?? Data()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(payload.count)\r\n"
        if !payload.isEmpty { head += "Content-Type: application/json\r\n" }
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        head += "\r\n"
        var request = Data(head.utf8)
        request.append(payload)
        let fd = socket(ip.isV4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(message: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeoutSeconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard address.connect(fd) == 0 else {
            throw Failure(message: "cannot reach the admin API at \(host):\(port): \(String(cString: strerror(errno)))")
        }
        let sent = request.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        guard sent else { throw Failure(message: "sending to the admin API failed: \(String(cString: strerror(errno)))") }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { response.append(contentsOf: buffer[0..<n]); continue }
            if n == 0 { break }
            throw Failure(message: "reading from the admin API failed: \(String(cString: strerror(errno)))")
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)),
              let statusLine = String(data: response[..<split.lowerBound], encoding: .utf8)?.split(separator: "\r\n").first,
              statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw Failure(message: "the admin API sent an invalid response")
        }
        return Response(status: status, body: response[split.upperBound...])
    }
}

extension IPAddress {
    var isV4: Bool { if case .v4 = self { return true } else { return false } }
}
