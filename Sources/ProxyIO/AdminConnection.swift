import CLinuxShim
import HTTP1

/// One connection to the admin listener: reads a request (head plus a Content-Length body
/// of at most 1 MiB), hands it to the handler, writes the answer, and reads the next one;
/// over TLS when the admin listener has certificates (`--admin-cert`).
final class AdminConnection: EventHandler {
    static let maxBody = 1 << 20

    unowned let server: AdminServer
    let id: Int
    /// The TLS layer, with `--admin-cert`; nil for plain HTTP.
    let tls: TLSStream?
    private var inbuf = ByteBuffer(capacity: 4096)
    private var outbuf = ByteBuffer(capacity: 4096)
    private var scanner = HeadScanner(isRequest: true)
    private var request = RequestHead()
    private var waiting = false
    private var closeAfter = false
    private var eof = false
    private let deadline: Int64

    init(fd: Int32, id: Int, server: AdminServer, tls: TLSStream?) {
        self.server = server
        self.id = id
        self.tls = tls
        deadline = server.loop.now + 60_000
        super.init(fd: fd)
    }

    override func handleEvent(_ events: UInt32) {
        if (events & (shim_EPOLLIN | shim_EPOLLRDHUP | shim_EPOLLHUP | shim_EPOLLERR) != 0 || tls?.wantsWritable == true) && !eof {
            inbuf.reserve(tls == nil ? 4096 : 16_384)  // TLS: room for a whole record
            switch tls?.read(inbuf.writable) ?? Syscall.read(fd, inbuf.writable) {
            case .done(let n): inbuf.didWrite(n)
            case .eof: eof = true
            case .wouldBlock: break
            case .failed: return server.close(self)
            }
        }
        step()
    }

    override func tick(now: Int64) {
        if now >= deadline && !waiting { server.close(self) }
    }

    /// Queues the handler's answer (or an error of our own); `step()` writes it.
    func queue(_ response: AdminResponse) {
        waiting = false
        outbuf.append("HTTP/1.1 ")
        outbuf.appendDecimal(response.status)
        outbuf.append(Array(" \(Self.reason(response.status))\r\nServer: \(adminServerName)\r\nContent-Type: ".utf8))
        outbuf.append(Array(response.contentType.utf8))
        for field in response.headers { outbuf.append(Array("\r\n\(field.name): \(field.value)".utf8)) }
        outbuf.append("\r\nContent-Length: ")
        outbuf.appendDecimal(response.body.count)
        outbuf.append(closeAfter ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n")
        outbuf.append(response.body)
    }

    /// Dispatches complete requests, writes answers, and sets the epoll interest.
    func step() {
        while !waiting && outbuf.isEmpty && !closeAfter, nextRequest() {}
        writing: while outbuf.readableBytes > 0 {
            switch tls?.write(outbuf.readable) ?? Syscall.write(fd, outbuf.readable) {
            case .done(let n): outbuf.consume(n)
            case .wouldBlock: break writing
            case .eof, .failed: return server.close(self)
            }
        }
        if outbuf.isEmpty && !waiting && (closeAfter || (eof && inbuf.isEmpty)) {
            _ = tls?.shutdown()  // close_notify if the socket takes it now; never waits
            return server.close(self)
        }
        var events: UInt32 = outbuf.isEmpty && tls?.wantsWritable != true ? 0 : shim_EPOLLOUT
        if (!eof && !waiting && inbuf.readableBytes < 2 * Self.maxBody) || tls?.wantsReadable == true { events |= shim_EPOLLIN | shim_EPOLLRDHUP }
        server.loop.setEvents(self, events)
    }

    /// Takes one complete request from `inbuf` and hands it to the handler; an
    /// unacceptable one gets an error answer and closes the connection. Returns whether a
    /// request was dispatched (so the next one may follow).
    private func nextRequest() -> Bool {
        guard inbuf.readableBytes > 0 else { return false }
        switch scanner.scan(inbuf.readable, limits: Limits()) {
        case .incomplete:
            return false
        case .error(let error):
            closeAfter = true
            queue(Self.malformed(error.status))
            return false
        case .complete(let headEnd):
            let buf = inbuf.readable
            if let error = request.parse(buf, start: scanner.headStart, headEnd: headEnd, limits: Limits()) {
                closeAfter = true
                queue(Self.malformed(error.status))
                return false
            }
            let length = request.head.contentLength ?? 0
            if request.head.chunked || length > Self.maxBody {
                closeAfter = true
                let detail = request.head.chunked ? "a chunked body has no length" : "the body has \(length) bytes"
                queue(AdminResponse(status: request.head.chunked ? 411 : 413,
                                    body: Array("{\"error\":\"send a Content-Length body of at most 1 MiB\",\"detail\":[\"\(detail)\"]}".utf8)))
                return false
            }
            guard buf.count >= headEnd + length else {
                scanner.reset() // rescan the (small) head once the rest of the body is here
                return false
            }
            let target = String(decoding: UnsafeRawBufferPointer(rebasing: buf[request.target]), as: UTF8.self)
            var headers: [String: String] = [:]
            for f in request.head.fields {
                headers[String(decoding: UnsafeRawBufferPointer(rebasing: buf[f.name]), as: UTF8.self).lowercased()] =
                    String(decoding: UnsafeRawBufferPointer(rebasing: buf[f.value]), as: UTF8.self)
            }
            let (path, query) = Self.splitTarget(target)
            let admin = AdminRequest(method: String(decoding: UnsafeRawBufferPointer(rebasing: buf[request.method]), as: UTF8.self),
                                     path: path, query: query, headers: headers,
                                     body: Array(buf[headEnd..<(headEnd + length)]))
            if !request.keepAlive { closeAfter = true }
            inbuf.consume(headEnd + length)
            scanner.reset()
            waiting = true
            server.dispatch(admin, from: self)
            return true
        }
    }

    /// The answer to a request that cannot be parsed.
    static func malformed(_ status: Int) -> AdminResponse {
        AdminResponse(status: status, body: Array("{\"error\":\"malformed request\",\"detail\":null}".utf8))
    }

    static func splitTarget(_ target: String) -> (String, [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let key = String(kv[0]).removingPercentEncodingSimple
            query[key] = kv.count > 1 ? String(kv[1]).removingPercentEncodingSimple : ""
        }
        return (String(target[..<q]), query)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 422: return "Unprocessable Content"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

extension String {
    /// `%XX` and `+` decoded (query strings); invalid escapes are kept as they are.
    var removingPercentEncodingSimple: String {
        var out: [UInt8] = []
        let bytes = Array(utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let h = ByteClass.hexValue(bytes[i + 1]), let l = ByteClass.hexValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i] == UInt8(ascii: "+") ? UInt8(ascii: " ") : bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
