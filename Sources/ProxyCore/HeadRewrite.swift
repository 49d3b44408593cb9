public import HTTP1

/// The request head a backend gets (RFC 9110 7.6): hop-by-hop fields removed, Sluice's override
/// header removed, X-Forwarded-For/-Proto/-Host and X-Request-Id set, the framing re-stated,
/// always as HTTP/1.1. Runs once per routed request; appends to the backend's output buffer.
public enum RequestRewrite {
    /// `client`: the peer's address; `hostFallback`: the Host to send when an HTTP/1.0
    /// request has none (HTTP/1.1 needs one: the backend's label, as NGINX's default
    /// `proxy_set_header Host $proxy_host` does).
    @inlinable
    public static func append(into out: inout ByteBuffer, _ request: borrowing RequestHead, _ buf: UnsafeRawBufferPointer,
                              framing: BodyFraming, overrideName: [UInt8], client: borrowing PeerText,
                              https: Bool, requestID: UnsafeRawBufferPointer, hostFallback: [UInt8]) {
        out.append(UnsafeRawBufferPointer(rebasing: buf[request.method]))
        out.append(UInt8(ascii: " "))
        out.append(UnsafeRawBufferPointer(rebasing: buf[request.target]))
        out.append(" HTTP/1.1\r\n")
        for field in request.head.fields {
            switch field.kind {
            case .connection, .hopByHop, .transferEncoding, .contentLength, .upgrade,
                 .xForwardedProto, .xForwardedHost, .xRequestId, .xForwardedFor:
                continue
            case .other, .xSluicePool:
                // The override header is Sluice's, not the backend's.
                if buf.equalsIgnoringCase(field.name, overrideName) { continue }
                appendField(&out, buf, field)
            default:
                appendField(&out, buf, field)
            }
        }
        out.append("X-Forwarded-For: ")
        for field in request.head.fields where field.kind == .xForwardedFor && !field.value.isEmpty {
            out.append(UnsafeRawBufferPointer(rebasing: buf[field.value]))
            out.append(", ")
        }
        client.withBytes { out.append($0) }
        out.append(https ? "\r\nX-Forwarded-Proto: https\r\n" : "\r\nX-Forwarded-Proto: http\r\n")
        if let h = request.head.hostIndex {
            out.append("X-Forwarded-Host: ")
            out.append(UnsafeRawBufferPointer(rebasing: buf[request.head.fields[h].value]))
            out.append("\r\n")
        } else if !hostFallback.isEmpty {
            out.append("Host: ")
            out.append(hostFallback)
            out.append("\r\n")
        }
        out.append("X-Request-Id: ")
        out.append(requestID)
        out.append("\r\n")
        switch framing {
        case .chunked:
            out.append("Transfer-Encoding: chunked\r\n")
        case .length(let n):
            out.append("Content-Length: ")
            out.appendDecimal(n)
            out.append("\r\n")
        case .none, .untilClose:
            if request.head.contentLength == 0 { out.append("Content-Length: 0\r\n") }
        }
        if request.wantsUpgrade, let u = request.head.upgradeIndex {
            out.append("Connection: upgrade\r\nUpgrade: ")
            out.append(UnsafeRawBufferPointer(rebasing: buf[request.head.fields[u].value]))
            out.append("\r\n")
        }
        out.append("\r\n")
    }

    @inlinable
    static func appendField(_ out: inout ByteBuffer, _ buf: UnsafeRawBufferPointer, _ field: HeaderField) {
        out.append(UnsafeRawBufferPointer(rebasing: buf[field.name]))
        out.append(": ")
        out.append(UnsafeRawBufferPointer(rebasing: buf[field.value]))
        out.append("\r\n")
    }
}

/// The backend's part of the response head a client gets: the status line and the backend's
/// fields minus hop-by-hop ones, X-Request-Id and X-Sluice-Pool (Sluice states those itself)
/// and all but the first Content-Length (none on 1xx or 204, RFC 9110 8.6, nor when Sluice
/// re-chunks the body), then `Connection: upgrade` for a 101 or `Transfer-Encoding: chunked`. Sluice's own fields and the final CRLF follow it (the
/// shell adds them). Runs once per response head, interim ones included.
public enum ResponseRewrite {
    /// Whether a backend response field of this kind goes on to the client (HTTP/1.1 and
    /// HTTP/2 alike): not hop-by-hop ones, nor X-Request-Id and X-Sluice-Pool (Sluice states
    /// those itself), nor Upgrade except on a 101. Content-Length passes; only the first
    /// is sent, and only where the status may carry one.
    @inlinable
    public static func passes(_ kind: FieldKind, upgrade: Bool) -> Bool {
        switch kind {
        case .connection, .hopByHop, .transferEncoding, .xRequestId, .xSluicePool: return false
        case .upgrade: return upgrade
        default: return true
        }
    }

    @inlinable
    public static func append(into out: inout ByteBuffer, _ response: borrowing ResponseHead, _ buf: UnsafeRawBufferPointer,
                              upgrade: Bool, chunked: Bool) {
        out.append("HTTP/1.1 ")
        out.appendDecimal(response.status)
        out.append(UInt8(ascii: " "))
        out.append(UnsafeRawBufferPointer(rebasing: buf[response.reason]))
        out.append("\r\n")
        // The first Content-Length goes on (the parser made sure any others agree with it),
        // unless Sluice re-frames the body or the status may not carry one.
        var lengthSent = upgrade || chunked || response.status < 200 || response.status == 204
        for field in response.head.fields where passes(field.kind, upgrade: upgrade) {
            if field.kind == .contentLength {
                if lengthSent { continue }
                lengthSent = true
            }
            RequestRewrite.appendField(&out, buf, field)
        }
        if upgrade {
            out.append("Connection: upgrade\r\n")
        } else if chunked {
            out.append("Transfer-Encoding: chunked\r\n")
        }
    }
}
