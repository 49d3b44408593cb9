public import HTTP1

extension RequestFields {
    /// The request as an HTTP/1.1 head, for the HTTP/1.1 backends: `:method :path HTTP/1.1`
    /// (`:authority` as the target of a CONNECT), `host` from `:authority` (or the host
    /// field), the other regular fields in order, the `cookie` fields joined into one with
    /// "; " (RFC 9113 8.2.3), `transfer-encoding: chunked` when a body follows (`endStream`
    /// false) without a content-length, and the empty line. Runs once per stream; the
    /// HTTP/1.1 parser then reads the head with its own rules.
    public func appendHTTP1Head(into head: inout ByteBuffer, endStream: Bool) {
        func append(_ bytes: ArraySlice<UInt8>) { bytes.withUnsafeBytes { head.append($0) } }
        if let method { append(list.value(method)) }
        head.append(UInt8(ascii: " "))
        if let path { append(list.value(path)) } else if let authority { append(list.value(authority)) }
        head.append(" HTTP/1.1\r\nhost: ")
        if let hostField = authority ?? host { append(list.value(hostField)) }
        head.append("\r\n")
        var cookies = 0
        for i in 0..<list.count where i != host {
            let name = list.name(i)
            if name.first == UInt8(ascii: ":") { continue }
            if name.equals(Names.cookie) {
                cookies += 1
                continue
            }
            append(name)
            head.append(": ")
            append(list.value(i))
            head.append("\r\n")
        }
        if cookies > 0 {
            head.append("cookie: ")
            var first = true
            for i in 0..<list.count where list.name(i).equals(Names.cookie) {
                if !first { head.append("; ") }
                first = false
                append(list.value(i))
            }
            head.append("\r\n")
        }
        if !endStream && contentLength == nil { head.append("transfer-encoding: chunked\r\n") }
        head.append("\r\n")
    }
}
