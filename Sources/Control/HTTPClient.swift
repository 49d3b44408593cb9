import Foundation
import Glibc
import ProxyIO
import Traffic

/// A blocking HTTP/1.1 client for one request per connection (`Connection: close`), with a
/// timeout on every socket operation: `sluice ctl`, the demo and webhook deliveries use it.
/// Blocking is the point: it runs on command-line processes and on the webhook thread, never
/// on an event loop.
public struct HTTPClient: Sendable {
    /// The server, as written in `http://HOST:PORT` (a name is resolved at every request).
    public let host: String
    public let port: UInt16
    public var timeoutSeconds: Int

    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(host: String, port: UInt16, timeoutSeconds: Int = 10) {
        self.host = host
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    /// Splits `http://HOST[:PORT]/PATH` (`HOST:PORT` and `:PORT` too, meaning 127.0.0.1; port 80
    /// when absent) into a client and the path (`/` when absent); nil for anything else,
    /// `https://` included.
    public static func parse(url: String) -> (client: HTTPClient, path: String)? {
        var text = Substring(url)
        if text.lowercased().hasPrefix("http://") { text = text.dropFirst(7) } else if text.contains("://") { return nil }
        let slash = text.firstIndex(of: "/") ?? text.endIndex
        var authority = String(text[..<slash])
        let path = slash == text.endIndex ? "/" : String(text[slash...])
        if authority.hasPrefix(":") { authority = "127.0.0.1" + authority }
        guard let (host, port) = BackendAddress.parseHostPort(authority) ?? BackendAddress.parseHostPort(authority + ":80")
        else { return nil }
        return (HTTPClient(host: host == "localhost" ? "127.0.0.1" : host, port: port), path)
    }

    /// Sends one request and reads the whole response. Throws when the host does not resolve,
    /// the connection fails, a socket operation times out or the response is not HTTP.
    public func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [])
        throws(Failure) -> Response {
        guard let ip = IPAddress(parsing: host) ?? HostResolver.resolve(host) else {
            throw Failure(message: "cannot resolve \(host)")
        }
        let hostField = ip.isV6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(hostField)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        let fd = socket(ip.isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard SocketAddress(ip: ip, port: port).connect(fd) == 0 else {
            throw Self.failure("cannot connect to \(hostField)")
        }
        var offset = 0
        while offset < request.count {
            let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Self.failure("sending to \(hostField) failed") }
            offset += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw Self.failure("reading from \(hostField) failed") }
            response += buffer[0..<n]
        }
        return try Self.parse(response, from: hostField)
    }

    /// Status and body of a response read until the server closed (the request said
    /// `Connection: close`).
    private static func parse(_ response: [UInt8], from server: String) throws(Failure) -> Response {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0...max(response.count - 4, 0)).first(where: { response[$0..<min($0 + 4, response.count)].elementsEqual(separator) }),
              response.count >= 12, response[0..<5].elementsEqual("HTTP/".utf8),
              let status = Int(String(decoding: response[9..<12], as: UTF8.self))
        else { throw Failure(message: "\(server) sent an invalid HTTP response") }
        return Response(status: status, body: Array(response[(end + 4)...]))
    }

    private static func failure(_ what: String) -> Failure {
        Failure(message: "\(what): \(String(cString: strerror(errno)))")
    }
}

extension IPAddress {
    var isV6: Bool {
        if case .v6 = self { return true }
        return false
    }
}
