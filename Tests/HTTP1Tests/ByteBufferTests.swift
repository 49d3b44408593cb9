import Testing
@testable import HTTP1

private func contents(_ b: borrowing ByteBuffer) -> [UInt8] { Array(b.readable) }

private func decimal(_ v: Int) -> String {
    var b = ByteBuffer(capacity: 1)
    b.appendDecimal(v)
    return String(decoding: b.readable, as: UTF8.self)
}

private func hex(_ v: UInt64, minDigits: Int = 1, prefill: Int = 0) -> String {
    var b = ByteBuffer(capacity: 16)
    for _ in 0..<prefill { b.append(UInt8(ascii: ".")) }
    b.appendHex(v, minDigits: minDigits)
    b.consume(prefill)
    return String(decoding: b.readable, as: UTF8.self)
}

struct ByteBufferTests {
    @Test func startsEmptyWithAtLeast16Bytes() {
        let b = ByteBuffer(capacity: 0)
        #expect(b.capacity == 16)
        #expect(b.isEmpty == true)
        #expect(b.readableBytes == 0)
        #expect(b.writableBytes == 16)
        #expect(b.readable.count == 0)
        let big = ByteBuffer(capacity: 1000)
        #expect(big.capacity == 1000)
    }

    @Test func withoutStorageUntilFirstAppend() {
        var b = ByteBuffer()
        #expect(b.capacity == 0)
        #expect(b.isEmpty == true)
        #expect(b.writableBytes == 0)
        #expect(b.readable.count == 0)
        b.append("abc" as StaticString)
        #expect(b.capacity == 1024)
        #expect(contents(b) == bytes("abc"))
        var big = ByteBuffer()
        big.reserve(16 * 1024)
        #expect(big.capacity == 16 * 1024)
    }

    @Test func appendAndConsume() {
        var b = ByteBuffer(capacity: 16)
        b.append(UInt8(ascii: "a"))
        b.append([0x62, 0x63])
        b.append("def" as StaticString)
        [UInt8](repeating: 0x7A, count: 0).withUnsafeBytes { b.append($0) } // empty append is a no-op
        #expect(contents(b) == bytes("abcdef"))
        #expect(b.readableBytes == 6)
        #expect(b.writableBytes == 10)
        b.consume(2)
        #expect(contents(b) == bytes("cdef"))
        #expect(b.readerIndex == 2)
        #expect(b.writerIndex == 6)
        #expect(b.isEmpty == false)
        b.consume(4)
        #expect(b.isEmpty == true)
        #expect(b.readerIndex == 0, "an emptied buffer starts again at offset 0")
        #expect(b.writerIndex == 0)
        #expect(b.writableBytes == 16)
    }

    @Test func writableAndDidWrite() {
        var b = ByteBuffer(capacity: 16)
        let w = b.writable
        #expect(w.count == 16)
        w[0] = 0x41
        w[1] = 0x42
        b.didWrite(2)
        #expect(contents(b) == bytes("AB"))
        #expect(b.writable.count == 14)
    }

    @Test func compactMovesUnreadBytesToTheFront() {
        var b = ByteBuffer(capacity: 16)
        b.append(bytes("0123456789"))
        b.consume(7)
        #expect(b.writableBytes == 6)
        b.compact()
        #expect(b.readerIndex == 0)
        #expect(b.writerIndex == 3)
        #expect(contents(b) == bytes("789"))
        #expect(b.writableBytes == 13)
        // Compacting a buffer that starts at 0 changes nothing.
        b.compact()
        #expect(contents(b) == bytes("789"))
    }

    @Test func prependUsesTheHeadroomAndConsumedRoom() {
        var b = ByteBuffer(capacity: 32)
        b.clear(leavingHeadroom: 8)
        b.append(bytes("body"))
        #expect(b.readerIndex == 8)
        let head = bytes("head:")
        #expect(head.withUnsafeBytes { b.prepend($0) })
        #expect(contents(b) == bytes("head:body"))
        // Three bytes of room are left in front: four do not fit and change nothing.
        #expect(!bytes("1234").withUnsafeBytes { b.prepend($0) })
        #expect(contents(b) == bytes("head:body"))
        #expect(bytes("123").withUnsafeBytes { b.prepend($0) })
        #expect(contents(b) == bytes("123head:body"))
        // Consumed bytes are room too.
        b.consume(8)
        #expect(bytes("<").withUnsafeBytes { b.prepend($0) })
        #expect(contents(b) == bytes("<body"))
        #expect([UInt8]().withUnsafeBytes { b.prepend($0) })
        #expect(contents(b) == bytes("<body"))
    }

    @Test func takeAllTradesStorageWhenTheBytesFitInFront() {
        var out = ByteBuffer(capacity: 64)
        out.append(bytes("head"))
        var input = ByteBuffer(capacity: 4096)
        input.clear(leavingHeadroom: 16)
        input.append(bytes("body"))
        let inputStorage = input.base
        let traded = out.takeAll(from: &input)
        #expect(traded)
        #expect(contents(out) == bytes("headbody"))
        #expect(out.base == inputStorage)
        #expect(input.isEmpty && input.capacity == 64)
        // Without room in front of `input`'s bytes nothing changes.
        var full = ByteBuffer(capacity: 64)
        full.append(bytes("more"))
        let tradedAgain = out.takeAll(from: &full)
        #expect(!tradedAgain)
        #expect(contents(out) == bytes("headbody"))
        #expect(contents(full) == bytes("more"))
    }

    @Test func reserveCompactsBeforeGrowing() {
        var b = ByteBuffer(capacity: 16)
        b.append(bytes("0123456789ABCD"))
        b.consume(12)
        let base = b.base
        b.reserve(10) // 2 writable; compacting gives 14: enough without growing
        #expect(b.capacity == 16)
        #expect(b.base == base)
        #expect(b.readerIndex == 0)
        #expect(contents(b) == bytes("CD"))
        b.reserve(3) // already enough room: nothing moves
        #expect(b.writerIndex == 2)
    }

    @Test func reserveGrowsByDoublingAndKeepsTheBytes() {
        var b = ByteBuffer(capacity: 16)
        b.append(bytes("abcdefghij"))
        b.consume(3)
        b.reserve(20) // 7 readable + 20 > 16: grow to 32
        #expect(b.capacity == 32)
        #expect(contents(b) == bytes("defghij"))
        #expect(b.readerIndex == 0)
        #expect(b.writableBytes >= 20)
        b.reserve(200) // 7 + 200: 32 doubles until it fits, 256
        #expect(b.capacity == 256)
        #expect(contents(b) == bytes("defghij"))
    }

    @Test func appendGrowsAcrossManyWrites() {
        var b = ByteBuffer(capacity: 16)
        var expected: [UInt8] = []
        var consumedTotal = 0
        for i in 0..<5000 {
            let byte = UInt8(truncatingIfNeeded: i &* 31)
            b.append(byte)
            expected.append(byte)
            if i % 7 == 6 {
                b.consume(3)
                consumedTotal += 3
            }
        }
        #expect(contents(b) == Array(expected[consumedTotal...]))
        let big = [UInt8](repeating: 0xAB, count: 100_000)
        b.append(big)
        #expect(b.readableBytes == expected.count - consumedTotal + big.count)
        #expect(Array(b.readable.suffix(3)) == [0xAB, 0xAB, 0xAB])
    }

    @Test func restoreMakesResentBytesReadableAgain() {
        var b = ByteBuffer(capacity: 64)
        b.clear()
        b.append(bytes("GET / HTTP/1.1\r\n\r\n"))
        let n = b.readableBytes
        b.consume(5)
        b.consume(n - 5) // all written to a socket; the buffer resets to offset 0
        #expect(b.isEmpty == true)
        b.restore(count: n)
        #expect(contents(b) == bytes("GET / HTTP/1.1\r\n\r\n"))
        b.clear()
        #expect(b.isEmpty == true)
        #expect(b.writerIndex == 0)
    }

    @Test func moveBytesBetweenBuffers() {
        var from = ByteBuffer(capacity: 16)
        var to = ByteBuffer(capacity: 16)
        from.append(bytes("hello world"))
        #expect(to.moveBytes(from: &from, limit: 5) == 5)
        #expect(contents(to) == bytes("hello"))
        #expect(contents(from) == bytes(" world"))
        #expect(to.moveBytes(from: &from, limit: 100) == 6)
        #expect(contents(to) == bytes("hello world"))
        #expect(from.isEmpty == true)
        #expect(to.moveBytes(from: &from, limit: 10) == 0)
        #expect(to.moveBytes(from: &from, limit: 0) == 0)
    }

    static let decimals: [(Int, String)] = [
        (0, "0"), (7, "7"), (10, "10"), (200, "200"), (4096, "4096"), (1_234_567_890, "1234567890"),
        (-1, "-1"), (-42, "-42"), (Int.max, "9223372036854775807"), (Int.min + 1, "-9223372036854775807"),
        (Int.min, "-9223372036854775808"),
    ]

    @Test(arguments: decimals)
    func appendDecimal(value: Int, expected: String) {
        #expect(decimal(value) == expected)
    }

    @Test func appendDecimalAfterOtherBytesAndAtTheEdgeOfCapacity() {
        var b = ByteBuffer(capacity: 16)
        b.append(bytes("Content-Length: ")) // exactly full
        #expect(b.writableBytes == 0)
        b.appendDecimal(1_048_576)
        b.append("\r\n" as StaticString)
        #expect(contents(b) == bytes("Content-Length: 1048576\r\n"))
        // Many numbers back to back.
        var c = ByteBuffer(capacity: 16)
        var expected = ""
        for v in stride(from: -1000, through: 100_000, by: 977) {
            c.appendDecimal(v)
            c.append(UInt8(ascii: ","))
            expected += "\(v),"
        }
        #expect(String(decoding: c.readable, as: UTF8.self) == expected)
    }

    static let hexes: [(UInt64, Int, String)] = [
        (0, 1, "0"), (1, 1, "1"), (9, 1, "9"), (10, 1, "a"), (15, 1, "f"), (16, 1, "10"), (255, 1, "ff"),
        (4096, 1, "1000"), (0xDEAD_BEEF, 1, "deadbeef"), (UInt64.max, 1, "ffffffffffffffff"),
        (0x1_0000_0000_0000_000, 1, "1000000000000000"), (0xAB, 4, "00ab"), (0, 2, "00"), (0xABC, 2, "abc"),
        (5, 16, "0000000000000005"), (UInt64.max, 16, "ffffffffffffffff"),
        (0x0123_4567_89AB_CDEF, 1, "123456789abcdef"), (0xFEDC_BA98_7654_3210, 1, "fedcba9876543210"),
        (0x9A9A_F0F0_0A0A_5F5F, 16, "9a9af0f00a0a5f5f"), (0x1_0000_0000, 3, "100000000"), (0xFFFF_FFFF, 1, "ffffffff"),
    ]

    @Test(arguments: hexes)
    func appendHex(value: UInt64, minDigits: Int, expected: String) {
        #expect(hex(value, minDigits: minDigits) == expected)
        // Same result when the buffer is nearly full and must grow or compact first.
        #expect(hex(value, minDigits: minDigits, prefill: 15) == expected)
    }

    @Test func appendHexWithMoreThan16MinDigitsStaysInBounds() {
        // minDigits beyond 16 pads with zeros; the buffer must make room for all of them.
        var b = ByteBuffer(capacity: 16)
        b.append(bytes("0123456789")) // 6 writable left
        b.appendHex(0xFF, minDigits: 40)
        #expect(b.readableBytes == 50)
        #expect(Array(b.readable.suffix(40)) == bytes(String(repeating: "0", count: 38) + "ff"))
        #expect(b.writerIndex <= b.capacity)
    }

    @Test func appendHexAsChunkSizeRoundTripsThroughTheDecoder() {
        // The proxy re-frames chunks with appendHex; the decoder must read back what it wrote.
        var b = ByteBuffer(capacity: 16)
        var expected: [UInt8] = []
        for size in [1, 15, 16, 255, 256, 4095, 70_000] {
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            b.appendHex(UInt64(size))
            b.append("\r\n" as StaticString)
            b.append(data)
            b.append("\r\n" as StaticString)
            expected += data
        }
        b.append("0\r\n\r\n" as StaticString)
        let framed = contents(b)
        let out = decodeChunked(framed, cuts: [1, 100, 5000, 70_000])
        #expect(out.status == .end)
        #expect(out.data == expected)
        #expect(out.consumed == framed.count)
    }
}
