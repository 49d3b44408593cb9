/// Byte helpers for ASCII text in raw buffers. Used on the hot path: nothing here allocates.
enum ASCII {
    static let blue: StaticString = "blue"
    static let green: StaticString = "green"

    /// Lowercases one ASCII letter; every other byte is returned unchanged.
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// True when `bytes`, folded to lowercase, equals `lowercased` (which must already be lowercase).
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, lowercased: StaticString) -> Bool {
        let other = UnsafeRawBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)
        return equalsIgnoringCase(bytes, lowercased: other)
    }

    /// True when `bytes`, folded to lowercase, equals `lowercased` (which must already be lowercase).
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, lowercased: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == lowercased.count else { return false }
        for i in 0..<bytes.count where ASCII.lowercased(bytes[i]) != lowercased[i] {
            return false
        }
        return true
    }

    /// True when `bytes` ends with `suffix` (already lowercase), comparing case-insensitively.
    static func hasSuffixIgnoringCase(_ bytes: UnsafeRawBufferPointer, lowercased suffix: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= suffix.count else { return false }
        return equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - suffix.count)...]), lowercased: suffix)
    }

    /// True when `bytes` starts with `prefix`, byte for byte.
    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        for i in 0..<prefix.count where bytes[i] != prefix[i] {
            return false
        }
        return true
    }
}
