import HTTP1

/// The small JSON body of a response Sluice makes itself (404, 502, 503, 504, ...), the same
/// for HTTP/1.1 and HTTP/2: `{"error":MESSAGE,"status":CODE,"request_id":ID}` and a newline.
enum ErrorBody {
    /// Its length in bytes, for Content-Length (the status has three digits).
    static func length(_ message: StaticString, requestID: UnsafeRawBufferPointer) -> Int {
        42 + message.utf8CodeUnitCount + requestID.count
    }

    /// Appends it to `out`.
    static func append(into out: inout ByteBuffer, _ message: StaticString, status: Int, requestID: UnsafeRawBufferPointer) {
        let before = out.readableBytes
        out.append("{\"error\":\"")
        out.append(message)
        out.append("\",\"status\":")
        out.appendDecimal(status)
        out.append(",\"request_id\":\"")
        out.append(requestID)
        out.append("\"}\n")
        assert(out.readableBytes - before == length(message, requestID: requestID))
    }
}
