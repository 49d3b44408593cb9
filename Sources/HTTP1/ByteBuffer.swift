/// A growable byte buffer with a read and a write index, owned by one connection.
///
/// Bytes are appended at `writerIndex` and consumed from `readerIndex`. Memory is
/// allocated once and reused; `compact()` moves unread bytes to the front. Not
/// thread-safe: it lives on one event loop. Callers bound its size by never
/// appending past their own high-water mark.
public struct ByteBuffer: ~Copyable {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    public var readerIndex = 0
    public var writerIndex = 0

    /// Where a buffer without storage points: never written (its capacity is 0), never freed.
    private nonisolated(unsafe) static let noStorage = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)

    /// A buffer with room for `capacity` bytes (at least 16).
    public init(capacity: Int) {
        self.capacity = max(capacity, 16)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    /// A buffer without storage: nothing is allocated until the first `reserve` or append,
    /// which allocates at least 1 KiB.
    public init() {
        capacity = 0
        base = Self.noStorage
    }

    deinit { if capacity > 0 { base.deallocate() } }

    /// Bytes written but not yet read.
    @inline(__always) public var readableBytes: Int { writerIndex - readerIndex }
    /// Room left before the buffer must grow or compact.
    @inline(__always) public var writableBytes: Int { capacity - writerIndex }
    @inline(__always) public var isEmpty: Bool { readerIndex == writerIndex }

    /// The unread bytes.
    @inline(__always) public var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + readerIndex, count: readableBytes)
    }

    /// The free space after `writerIndex`; call `didWrite` after filling part of it.
    @inline(__always) public var writable: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + writerIndex, count: writableBytes)
    }

    @inline(__always) public mutating func didWrite(_ n: Int) { writerIndex += n }

    /// Marks `n` bytes as read; an emptied buffer starts again at offset 0.
    @inline(__always) public mutating func consume(_ n: Int) {
        readerIndex += n
        if readerIndex == writerIndex { readerIndex = 0; writerIndex = 0 }
    }

    public mutating func clear() { readerIndex = 0; writerIndex = 0 }

    /// Empties the buffer with `n` bytes of room in front of the next bytes written, for
    /// `prepend`. The storage must already hold `n` bytes (`reserve` first); the next
    /// `compact` or growth gives the room up.
    public mutating func clear(leavingHeadroom n: Int) {
        precondition(n <= capacity)
        readerIndex = n
        writerIndex = n
    }

    /// Puts `bytes` in front of the unread bytes, in the room consumed bytes or
    /// `clear(leavingHeadroom:)` left; false, changing nothing, when they do not fit.
    public mutating func prepend(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= readerIndex else { return false }
        readerIndex -= bytes.count
        if let source = bytes.baseAddress { (base + readerIndex).copyMemory(from: source, byteCount: bytes.count) }
        return true
    }

    /// Moves every unread byte of `other` to the end of this buffer without copying them: this
    /// buffer's unread bytes go in front of them in `other` (see `prepend`), the two buffers
    /// trade storage, and `other` is left empty. False, changing nothing, when this buffer's
    /// unread bytes do not fit in front of them.
    public mutating func takeAll(from other: inout ByteBuffer) -> Bool {
        guard other.prepend(readable) else { return false }
        clear()
        swap(&self, &other)
        return true
    }

    /// Makes the first `count` bytes readable again after they were consumed, for resending
    /// a request head on another connection. Valid only if nothing was appended since the
    /// buffer was cleared and filled with exactly those bytes.
    public mutating func restore(count: Int) {
        readerIndex = 0
        writerIndex = count
    }

    /// Moves the unread bytes to offset 0 so that `writableBytes` is as large as it can be.
    public mutating func compact() {
        guard readerIndex > 0 else { return }
        let n = readableBytes
        if n > 0 { (base).copyMemory(from: base + readerIndex, byteCount: n) }
        readerIndex = 0
        writerIndex = n
    }

    /// Makes room for at least `n` more bytes, compacting first and growing if still short.
    /// Inlined: the common case is one comparison.
    @inlinable @inline(__always) public mutating func reserve(_ n: Int) {
        if writableBytes < n { makeRoom(n) }
    }

    @usableFromInline @inline(never) mutating func makeRoom(_ n: Int) {
        compact()
        if writableBytes >= n { return }
        // A first allocation of 1 KiB holds a typical head at once instead of doubling up to it.
        var newCapacity = capacity == 0 ? 1024 : capacity * 2
        while newCapacity - writerIndex < n { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: writerIndex)
        if capacity > 0 { base.deallocate() }
        base = newBase
        capacity = newCapacity
    }

    @inlinable @inline(__always) public mutating func append(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: writerIndex, as: UInt8.self)
        writerIndex += 1
    }

    /// Inlined into callers (another module's too), so that a constant-length copy becomes a
    /// few moves instead of a call: the proxy writes about 25 short strings per request.
    @inlinable @inline(__always) public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + writerIndex).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        writerIndex += bytes.count
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends a static ASCII string without creating a `String` at run time.
    @inlinable @inline(__always) public mutating func append(_ s: StaticString) {
        append(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends `value` in decimal.
    public mutating func appendDecimal(_ value: Int) {
        reserve(20)
        // The magnitude, unsigned: negating Int.min would trap.
        var v = value.magnitude
        if value < 0 { append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch
        let n = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var i = scratch.count
            repeat {
                i -= 1
                scratch[i] = UInt8(ascii: "0") &+ UInt8(v % 10)
                v /= 10
            } while v > 0
            let len = scratch.count - i
            (base + writerIndex).copyMemory(from: scratch.baseAddress! + i, byteCount: len)
            return len
        }
        writerIndex += n
    }

    /// Appends `value` in lowercase hexadecimal (chunk sizes, ids), zero-padded to `minDigits`.
    /// Runs twice per request (its id): all 16 digits are made at once, 8 per 64-bit word.
    public mutating func appendHex(_ value: UInt64, minDigits: Int = 1) {
        let significant = max(1, (67 - value.leadingZeroBitCount) / 4) // (64 - lzc) bits, rounded up to nibbles
        let digits = max(significant, minDigits)
        reserve(digits)
        var out = base + writerIndex
        if digits > 16 {
            out.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "0"), count: digits - 16)
            out += digits - 16
        }
        var text = (Self.hexDigits(UInt32(truncatingIfNeeded: value >> 32)).bigEndian,
                    Self.hexDigits(UInt32(truncatingIfNeeded: value)).bigEndian)
        let n = min(digits, 16)
        withUnsafeBytes(of: &text) { out.copyMemory(from: $0.baseAddress! + (16 - n), byteCount: n) }
        writerIndex += digits
    }

    /// The 8 hex digits of `v` as ASCII bytes, the first digit in the most significant byte.
    @inline(__always)
    private static func hexDigits(_ v: UInt32) -> UInt64 {
        // One nibble per byte: 0xABCDEF12 -> 0x0A0B0C0D0E0F0102.
        var x = UInt64(v)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // Bytes of 10 or more get 0x01 here: they become 'a'-'f' ('a' - '0' - 10 = 39 further).
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return x &+ 0x3030_3030_3030_3030 &+ letters &* 39
    }

    /// Moves up to `limit` readable bytes of `other` into this buffer; returns how many.
    @discardableResult
    public mutating func moveBytes(from other: inout ByteBuffer, limit: Int) -> Int {
        let n = min(limit, other.readableBytes)
        guard n > 0 else { return 0 }
        append(UnsafeRawBufferPointer(start: other.base + other.readerIndex, count: n))
        other.consume(n)
        return n
    }
}
