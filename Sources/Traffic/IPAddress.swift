/// An IPv4 or IPv6 address as plain integers, cheap to compare and hash.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address in host byte order (`1.2.3.4` is `0x0102_0304`).
    case v4(UInt32)
    /// An IPv6 address as its high and low 64 bits, each in host byte order.
    case v6(UInt64, UInt64)

    /// Builds an IPv4 address from its four bytes in network order (as in `sin_addr`).
    public init(ipv4Bytes b: (UInt8, UInt8, UInt8, UInt8)) {
        self = .v4(UInt32(b.0) << 24 | UInt32(b.1) << 16 | UInt32(b.2) << 8 | UInt32(b.3))
    }

    /// Builds an address from 4 (IPv4) or 16 (IPv6) bytes in network order, as found in
    /// `sin_addr` / `sin6_addr`; nil for any other length.
    public init?(networkOrderBytes bytes: UnsafeRawBufferPointer) {
        func bigEndian(_ range: Range<Int>) -> UInt64 {
            range.reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
        }
        switch bytes.count {
        case 4: self = .v4(UInt32(bigEndian(0..<4)))
        case 16: self = .v6(bigEndian(0..<8), bigEndian(8..<16))
        default: return nil
        }
    }

    /// Parses a dotted quad (`10.0.0.1`, no leading zeros) or an IPv6 address (`::1`,
    /// `2001:db8::1`, `::ffff:10.0.0.1`); nil for anything else, including zone ids and brackets.
    public init?(parsing text: String) {
        if let v4 = IPAddress.parseIPv4(Substring(text)) {
            self = .v4(v4)
        } else if let (high, low) = IPAddress.parseIPv6(text) {
            self = .v6(high, low)
        } else {
            return nil
        }
    }

    /// The address as IPv4: itself, or the IPv4 address inside an IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`); nil for any other IPv6 address.
    var asIPv4: UInt32? {
        switch self {
        case .v4(let value):
            return value
        case .v6(let high, let low):
            guard high == 0, low >> 32 == 0xFFFF else { return nil }
            return UInt32(truncatingIfNeeded: low)
        }
    }

    /// The address as IPv6 words: itself, or the IPv4-mapped form of an IPv4 address.
    var asIPv6: (high: UInt64, low: UInt64) {
        switch self {
        case .v4(let value): (0, 0xFFFF_0000_0000 | UInt64(value))
        case .v6(let high, let low): (high, low)
        }
    }

    /// Canonical text: a dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run compressed,
    /// IPv4-mapped addresses with a dotted-quad tail).
    public var description: String {
        var bytes: [UInt8] = []
        writeText { bytes.append($0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The longest canonical text, in bytes (a full IPv6 address).
    public static let maxTextLength = 39

    /// Emits `description` byte by byte, without allocating: runs for every accepted
    /// connection (its peer's text goes into `X-Forwarded-For`, the access log, sticky hashing).
    public func writeText(_ emit: (UInt8) -> Void) {
        switch self {
        case .v4(let value):
            IPAddress.writeDottedQuad(value, emit)
        case .v6(let high, let low):
            if let v4 = asIPv4 {
                for byte in "::ffff:".utf8 { emit(byte) }
                IPAddress.writeDottedQuad(v4, emit)
            } else {
                IPAddress.writeCompressedIPv6(high, low, emit)
            }
        }
    }

    private static func writeDottedQuad(_ value: UInt32, _ emit: (UInt8) -> Void) {
        for shift in stride(from: UInt32(24), through: 0, by: -8) {
            let octet = value >> shift & 0xFF
            if octet >= 100 { emit(UInt8(ascii: "0") + UInt8(octet / 100)) }
            if octet >= 10 { emit(UInt8(ascii: "0") + UInt8(octet / 10 % 10)) }
            emit(UInt8(ascii: "0") + UInt8(octet % 10))
            if shift > 0 { emit(UInt8(ascii: ".")) }
        }
    }

    /// Writes eight groups in hex, replacing the longest run (of two or more, the first on a tie)
    /// of zero groups with `::`.
    private static func writeCompressedIPv6(_ high: UInt64, _ low: UInt64, _ emit: (UInt8) -> Void) {
        func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> (48 - 16 * UInt64(i % 4)))
        }
        var bestStart = -1, bestLength = 1
        var i = 0
        while i < 8 {
            guard group(i) == 0 else { i += 1; continue }
            var end = i
            while end < 8 && group(end) == 0 { end += 1 }
            if end - i > bestLength { bestStart = i; bestLength = end - i }
            i = end
        }
        func hex(_ range: Range<Int>) {
            for i in range {
                if i > range.lowerBound { emit(UInt8(ascii: ":")) }
                let value = group(i)
                var started = false
                for shift in stride(from: UInt16(12), through: 0, by: -4) {
                    let digit = UInt8(value >> shift & 0xF)
                    guard started || digit != 0 || shift == 0 else { continue }
                    started = true
                    emit(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
                }
            }
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        hex(0..<bestStart)
        emit(UInt8(ascii: ":"))
        emit(UInt8(ascii: ":"))
        hex((bestStart + bestLength)..<8)
    }

    /// Parses exactly four decimal octets 0...255 separated by dots, without leading zeros.
    private static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count),
                  part.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  part.utf8.count == 1 || part.utf8.first != UInt8(ascii: "0"),
                  let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// Parses RFC 4291 text: up to eight groups of 1-4 hex digits, at most one `::`, and
    /// optionally a dotted-quad tail standing for the last two groups.
    private static func parseIPv6(_ text: String) -> (UInt64, UInt64)? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        guard var head = groups(halves[0], allowIPv4Tail: halves.count == 1) else { return nil }
        var tail: [UInt16] = []
        if halves.count == 2 {
            guard let parsed = groups(halves[1], allowIPv4Tail: true), head.count + parsed.count <= 7 else { return nil }
            tail = parsed
            head += Array(repeating: 0, count: 8 - head.count - tail.count)
        }
        let all = head + tail
        guard all.count == 8 else { return nil }
        let high = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    /// Parses colon-separated hex groups (empty text is no groups); a final dotted quad, when
    /// allowed, becomes two groups.
    private static func groups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
        guard !text.isEmpty else { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var result: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowIPv4Tail, part.contains("."), let v4 = parseIPv4(part) {
                result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
            } else {
                guard (1...4).contains(part.utf8.count), part.utf8.allSatisfy(\.isHexDigit),
                      let group = UInt16(part, radix: 16)
                else { return nil }
                result.append(group)
            }
        }
        return result
    }
}

private extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
