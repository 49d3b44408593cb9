import CLinuxShim
import HTTP1

/// Formats wall-clock time as RFC 3339 UTC with milliseconds (`2026-11-22T13:16:31.123Z`)
/// into a byte buffer, caching the part that changes once a second.
public struct Timestamp {
    private var cachedSecond: Int64 = -1
    private var cached: [UInt8] = Array(repeating: 0, count: 20) // "YYYY-MM-DDTHH:MM:SS."

    mutating func append(to buffer: inout ByteBuffer) {
        let us = shim_realtime_us()
        let second = us / 1_000_000
        if second != cachedSecond {
            cachedSecond = second
            cached = Self.format(second: second)
        }
        buffer.append(cached)
        let ms = Int((us / 1000) % 1000)
        buffer.append(UInt8(48 + ms / 100))
        buffer.append(UInt8(48 + (ms / 10) % 10))
        buffer.append(UInt8(48 + ms % 10))
        buffer.append(UInt8(ascii: "Z"))
    }

    /// Now, as text: the control side's times (audit events, the state file, its log lines).
    public static func now() -> String {
        var buffer = ByteBuffer(capacity: 24)
        var timestamp = Timestamp()
        timestamp.append(to: &buffer)
        return String(decoding: buffer.readable, as: UTF8.self)
    }

    /// "YYYY-MM-DDTHH:MM:SS." for a Unix time in seconds (civil-from-days, H. Hinnant).
    static func format(second: Int64) -> [UInt8] {
        let days = second >= 0 ? second / 86400 : (second - 86399) / 86400
        let secs = Int(second - days * 86400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))
        var out: [UInt8] = []
        out.reserveCapacity(20)
        func two(_ v: Int) { out.append(UInt8(48 + v / 10)); out.append(UInt8(48 + v % 10)) }
        out.append(UInt8(48 + (year / 1000) % 10)); out.append(UInt8(48 + (year / 100) % 10)); two(year % 100)
        out.append(UInt8(ascii: "-")); two(month); out.append(UInt8(ascii: "-")); two(day)
        out.append(UInt8(ascii: "T")); two(secs / 3600); out.append(UInt8(ascii: ":")); two((secs / 60) % 60)
        out.append(UInt8(ascii: ":")); two(secs % 60); out.append(UInt8(ascii: "."))
        return out
    }
}

extension ByteBuffer {
    /// Appends `bytes` as the inside of a JSON string (quotes, backslashes and control
    /// bytes escaped).
    mutating func appendJSONEscaped(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0..<0x20, 0x7F:
                append("\\u00")
                appendHex(UInt64(b), minDigits: 2)
            default: append(b)
            }
        }
    }
}
