import HTTP1

/// One JSON event line (`timestamp`, `level`, `message`, then string fields) for stderr,
/// built without Foundation so the I/O threads can log rare events (health flips).
enum EventLine {
    static func make(level: StaticString, message: String, fields: [(String, String)]) -> [UInt8] {
        var out = ByteBuffer(capacity: 256)
        var timestamp = Timestamp()
        out.append("{\"timestamp\":\"")
        timestamp.append(to: &out)
        out.append("\",\"level\":\"")
        out.append(level)
        out.append("\",\"message\":\"")
        appendEscaped(message, to: &out)
        for (key, value) in fields {
            out.append("\",\"")
            appendEscaped(key, to: &out)
            out.append("\":\"")
            appendEscaped(value, to: &out)
        }
        out.append("\"}\n")
        return Array(out.readable)
    }

    private static func appendEscaped(_ text: String, to out: inout ByteBuffer) {
        var text = text
        text.withUTF8 { out.appendJSONEscaped(UnsafeRawBufferPointer($0)) }
    }
}
