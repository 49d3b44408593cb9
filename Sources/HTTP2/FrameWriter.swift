/// Appends frames to an output buffer (RFC 9113 section 6). Runs when the connection answers or
/// sends; callers split payloads to the peer's SETTINGS_MAX_FRAME_SIZE before calling.
public enum FrameWriter {
    /// The 9-byte frame header.
    public static func header(_ out: inout [UInt8], length: Int, type: UInt8, flags: UInt8, stream: UInt32) {
        precondition(length <= FrameLimits.maxMaxFrameSize && stream <= 0x7FFF_FFFF)
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length))
        out.append(type)
        out.append(flags)
        appendUInt32(&out, stream)
    }

    public static func data(_ out: inout [UInt8], stream: UInt32, _ bytes: UnsafeRawBufferPointer, endStream: Bool) {
        dataHeader(&out, stream: stream, length: bytes.count, endStream: endStream)
        out.append(contentsOf: bytes)
    }

    /// A DATA frame's header alone, for a payload that goes on the wire from elsewhere.
    public static func dataHeader(_ out: inout [UInt8], stream: UInt32, length: Int, endStream: Bool) {
        header(&out, length: length, type: FrameType.data, flags: endStream ? FrameFlags.endStream : 0, stream: stream)
    }

    /// A header block, in one HEADERS frame or a HEADERS frame and CONTINUATION frames of at
    /// most `maxFrameSize` bytes each.
    public static func headers(_ out: inout [UInt8], stream: UInt32, block: [UInt8], endStream: Bool, maxFrameSize: Int) {
        var at = 0
        var first = true
        repeat {
            let n = min(maxFrameSize, block.count - at)
            let last = at + n == block.count
            var flags: UInt8 = last ? FrameFlags.endHeaders : 0
            if first && endStream { flags |= FrameFlags.endStream }
            header(&out, length: n, type: first ? FrameType.headers : FrameType.continuation, flags: flags, stream: stream)
            out.append(contentsOf: block[at..<at + n])
            at += n
            first = false
        } while at < block.count
    }

    public static func rstStream(_ out: inout [UInt8], stream: UInt32, code: HTTP2ErrorCode) {
        header(&out, length: 4, type: FrameType.rstStream, flags: 0, stream: stream)
        appendUInt32(&out, code.rawValue)
    }

    public static func settings(_ out: inout [UInt8], _ settings: [Setting]) {
        header(&out, length: 6 * settings.count, type: FrameType.settings, flags: 0, stream: 0)
        for s in settings {
            out.append(UInt8(truncatingIfNeeded: s.id >> 8))
            out.append(UInt8(truncatingIfNeeded: s.id))
            appendUInt32(&out, s.value)
        }
    }

    public static func settingsAck(_ out: inout [UInt8]) {
        header(&out, length: 0, type: FrameType.settings, flags: FrameFlags.ack, stream: 0)
    }

    public static func ping(_ out: inout [UInt8], opaque: UInt64, ack: Bool) {
        header(&out, length: 8, type: FrameType.ping, flags: ack ? FrameFlags.ack : 0, stream: 0)
        appendUInt32(&out, UInt32(truncatingIfNeeded: opaque >> 32))
        appendUInt32(&out, UInt32(truncatingIfNeeded: opaque))
    }

    public static func goaway(_ out: inout [UInt8], lastStream: UInt32, code: HTTP2ErrorCode, debug: [UInt8] = []) {
        header(&out, length: 8 + debug.count, type: FrameType.goaway, flags: 0, stream: 0)
        appendUInt32(&out, lastStream)
        appendUInt32(&out, code.rawValue)
        out.append(contentsOf: debug)
    }

    public static func windowUpdate(_ out: inout [UInt8], stream: UInt32, increment: Int) {
        precondition(increment > 0 && increment <= FrameLimits.maxWindow)
        header(&out, length: 4, type: FrameType.windowUpdate, flags: 0, stream: stream)
        appendUInt32(&out, UInt32(increment))
    }

    @inline(__always) static func appendUInt32(_ out: inout [UInt8], _ v: UInt32) {
        out.append(UInt8(truncatingIfNeeded: v >> 24))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v))
    }
}
