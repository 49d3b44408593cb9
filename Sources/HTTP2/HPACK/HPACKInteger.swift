/// The prefixed integers of RFC 7541 section 5.1.
public enum HPACKInteger {
    /// The largest value decoded; anything longer is an error rather than a silent overflow.
    public static let maxValue = 1 << 30

    /// Appends `value` with an `prefixBits`-bit prefix, the first byte's high bits set to `flags`.
    public static func encode(_ value: Int, prefixBits: Int, flags: UInt8, into out: inout [UInt8]) {
        let limit = (1 << prefixBits) - 1
        if value < limit {
            out.append(flags | UInt8(value))
            return
        }
        out.append(flags | UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// Decodes the integer at `at` with an `prefixBits`-bit prefix; advances `at` past it.
    public static func decode(_ buf: UnsafeRawBufferPointer, at: inout Int, prefixBits: Int) throws(HPACKError) -> Int {
        guard at < buf.count else { throw .truncated }
        let limit = (1 << prefixBits) - 1
        var value = Int(buf[at]) & limit
        at += 1
        guard value == limit else { return value }
        var shift = 0
        while true {
            guard at < buf.count else { throw .truncated }
            let b = buf[at]
            at += 1
            value += Int(b & 0x7F) << shift
            guard value <= maxValue else { throw .integerOverflow }
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }
}
