import Glibc
public import ProxyIO
import Traffic

/// A blocking HTTP/1.1 client for one request per connection (`Connection: close`): `sluice
/// ctl`, the demo's status view and webhook deliveries use it. Blocking is the point: it
/// runs on command-line processes and on the webhook queue, never on an event loop.
public struct HTTPClient: Sendable {
    /// The server, as written in `http://HOST:PORT` (a name is resolved at every request).
    public let host: String
    public let port: UInt16
    public var timeoutSeconds: Int
    /// Speak TLS, verifying the server with this context (`https://`); nil for plain HTTP.
    public var tls: TLSClientContext?

    public struct Response: Sendable {
        public let status: Int
        /// The `Server` header field's value; nil without one.
        public var server: String? = nil
        public let body: [UInt8]
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(host: String, port: UInt16, timeoutSeconds: Int = 10, tls: TLSClientContext? = nil) {
        self.host = host
        self.port = port
        self.timeoutSeconds = timeoutSeconds
        self.tls = tls
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

    /// Sends one request on a new connection and reads the whole response. Throws when the
    /// host does not resolve, the connection fails, a socket operation times out or the
    /// response is not HTTP.
    public func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [])
        throws(Failure) -> Response {
        let connection = try HTTPConnection(host: host, port: port, timeoutSeconds: timeoutSeconds, tls: tls)
        return try connection.request(method, path, headers: headers + [("Connection", "close")], body: body)
    }
}

/// One blocking HTTP/1.1 client connection that can carry request after request (keep-alive):
/// the demo's load generator holds a few. Responses are framed by `Content-Length`, or end
/// when the server closes; other framings are refused. Not thread-safe: one user at a time.
public final class HTTPConnection {
    private let fd: Int32
    private let hostField: String
    /// The TLS session over `fd`, for an `https://` server.
    private var session: TLSClientSession?
    /// Bytes read past the end of the last response.
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    /// Connects (resolving `host` if it is a name), with `timeoutSeconds` on every later
    /// send and receive; over TLS with `tls`, the server's certificate verified for `host`.
    public init(host: String, port: UInt16, timeoutSeconds: Int, tls: TLSClientContext? = nil) throws(HTTPClient.Failure) {
        guard let ip = IPAddress(parsing: host) ?? HostResolver.resolve(host) else {
            throw HTTPClient.Failure(message: "cannot resolve \(host)")
        }
        hostField = ip.isV6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        fd = socket(ip.isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        guard SocketAddress(ip: ip, port: port).connect(fd) == 0 else {
            let error = Self.failure("cannot connect to \(hostField)")
            close(fd)
            throw error
        }
        if let tls {
            guard let session = TLSClientSession(context: tls, fd: fd, host: host) else {
                close(fd)
                throw HTTPClient.Failure(message: "cannot start TLS to \(hostField)")
            }
            self.session = session
        }
    }

    deinit {
        close(fd)
    }

    /// Sends one request and reads its response. After a failure the connection is unusable.
    public func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [])
        throws(HTTPClient.Failure) -> HTTPClient.Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(hostField)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        if let session {
            if let failure = session.write(request) { throw HTTPClient.Failure(message: "TLS to \(hostField): \(failure)") }
        }
        var offset = session == nil ? 0 : request.count
        while offset < request.count {
            let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Self.failure("sending to \(hostField) failed") }
            offset += n
        }
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            if let end = pending.firstRange(of: separator)?.lowerBound {
                headEnd = end
                break
            }
            guard try receive() else { break }
        }
        guard let headEnd, pending.count >= 12, pending[0..<5].elementsEqual("HTTP/".utf8),
              let status = Int(String(decoding: pending[9..<12], as: UTF8.self))
        else { throw HTTPClient.Failure(message: "\(hostField) sent an invalid HTTP response") }
        let fields = String(decoding: pending[..<headEnd], as: UTF8.self).lowercased().split(separator: "\r\n")
        if fields.contains(where: { $0.hasPrefix("transfer-encoding:") }) {
            throw HTTPClient.Failure(message: "\(hostField) sent a response framing this client does not read")
        }
        let length = fields.first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst(15).trimmingWhitespace()) }
        let server = String(decoding: pending[..<headEnd], as: UTF8.self).split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("server:") }.map { String($0.dropFirst(7).trimmingWhitespace()) }
        pending.removeFirst(headEnd + 4)
        if let length {
            while pending.count < length {
                guard try receive() else { throw HTTPClient.Failure(message: "\(hostField) closed in the middle of a response") }
            }
            let body = Array(pending[..<length])
            pending.removeFirst(length)
            return HTTPClient.Response(status: status, server: server, body: body)
        }
        while try receive() {}
        defer { pending = [] }
        return HTTPClient.Response(status: status, server: server, body: pending)
    }

    /// Reads what is there into `pending`; false when the server closed.
    private func receive() throws(HTTPClient.Failure) -> Bool {
        if let session {
            switch session.read(into: &buffer) {
            case .success(let n):
                pending += buffer[0..<n]
                return n > 0
            case .failure(let failure):
                throw HTTPClient.Failure(message: "TLS to \(hostField): \(failure.message)")
            }
        }
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n >= 0 else { throw Self.failure("reading from \(hostField) failed") }
        pending += buffer[0..<n]
        return n > 0
    }

    private static func failure(_ what: String) -> HTTPClient.Failure {
        HTTPClient.Failure(message: "\(what): \(String(cString: strerror(errno)))")
    }
}

extension IPAddress {
    var isV6: Bool {
        if case .v6 = self { return true }
        return false
    }
}
