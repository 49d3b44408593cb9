/// Byte classes of RFC 9110 section 5.6 used by the parsers, as 256-entry lookup tables.
public enum ByteClass {
    /// `tchar`: the bytes of a token (field names, methods, transfer codings).
    public static let token: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(b)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { t[Int(c)] = true }
        return t
    }()

    /// Bytes allowed inside a field value: HTAB, SP, VCHAR and obs-text. No CR, LF, NUL, DEL.
    public static let fieldValue: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        t[0x09] = true
        for b in 0x20...0x7E { t[b] = true }
        for b in 0x80...0xFF { t[b] = true }
        return t
    }()

    /// Bytes allowed in a request target: visible ASCII only.
    public static let target: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for b in 0x21...0x7E { t[b] = true }
        return t
    }()

    @inline(__always) public static func lower(_ b: UInt8) -> UInt8 {
        (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
    }

    /// The value of a hexadecimal digit, nil for any other byte.
    @inline(__always) public static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x61...0x66: return b - 0x61 + 10
        case 0x41...0x46: return b - 0x41 + 10
        default: return nil
        }
    }
}

extension UnsafeRawBufferPointer {
    /// True when the bytes in `range` equal `lowercase` ignoring ASCII case.
    /// `lowercase` must already be lowercase.
    @inline(__always)
    public func equalsIgnoringCase(_ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        let n = lowercase.utf8CodeUnitCount
        guard range.count == n else { return false }
        let p = lowercase.utf8Start
        var i = 0
        while i < n {
            if ByteClass.lower(self[range.lowerBound + i]) != p[i] { return false }
            i += 1
        }
        return true
    }

    /// True when the bytes in `range` equal `name` ignoring ASCII case (names from config).
    @inline(__always)
    public func equalsIgnoringCase(_ range: Range<Int>, _ name: [UInt8]) -> Bool {
        guard !name.isEmpty, range.count == name.count else { return false }
        var i = 0
        while i < name.count {
            if ByteClass.lower(self[range.lowerBound + i]) != ByteClass.lower(name[i]) { return false }
            i += 1
        }
        return true
    }

    /// True when the bytes in `range` are exactly `text`.
    @inline(__always)
    public func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard range.count == n else { return false }
        return memcmpEqual(baseAddress! + range.lowerBound, UnsafeRawPointer(text.utf8Start), n)
    }

    /// True when the bytes in `a` and `b` are equal ignoring ASCII case.
    @inline(__always)
    public func equalsIgnoringCase(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < a.count {
            if ByteClass.lower(self[a.lowerBound + i]) != ByteClass.lower(self[b.lowerBound + i]) { return false }
            i += 1
        }
        return true
    }

    /// `range` with optional whitespace (SP, HTAB) removed from both ends.
    @inline(__always)
    public func trimmingOWS(_ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi && (self[lo] == 0x20 || self[lo] == 0x09) { lo += 1 }
        while hi > lo && (self[hi - 1] == 0x20 || self[hi - 1] == 0x09) { hi -= 1 }
        return lo..<hi
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
