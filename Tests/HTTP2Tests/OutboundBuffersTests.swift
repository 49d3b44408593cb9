import Testing
import Traffic
@testable import HTTP2

struct OutboundBuffersTests {
    /// Writes up to `limit` of the unwritten bytes into `written`, as `writev` would, from at
    /// most `pieces` pieces; `released` counts the owners let go.
    func write(_ buffers: inout OutboundBuffers, upTo limit: Int, pieces: Int = 4, into written: inout [UInt8],
               released: inout Int) -> Bool {
        let n = buffers.withUnwrittenPieces(limit: pieces) { all in
            var n = 0
            for piece in all where n < limit {
                let part = piece.prefix(limit - n)
                written += part
                n += part.count
            }
            return n
        }
        return buffers.didWrite(n) { _ in released += 1 }
    }

    func write(_ buffers: inout OutboundBuffers, upTo limit: Int, into written: inout [UInt8]) -> Bool {
        var released = 0
        return write(&buffers, upTo: limit, into: &written, released: &released)
    }

    /// A connection past the preface exchange, with its frames (the preface) still unwritten.
    func started() -> HTTP2Connection {
        var c = HTTP2Connection()
        _ = feed(&c, Client.started().bytes)
        return c
    }

    @Test func nothingIsTakenWhenTheConnectionHasNoFrames() {
        var c = started()
        _ = c.takeOutbound()
        var buffers = OutboundBuffers()
        buffers.take(from: &c)
        #expect(buffers.isEmpty)
        #expect(buffers.withUnwrittenPieces(limit: 4) { $0.count } == 0)
    }

    @Test func theFramesAreWrittenInPiecesAndTheBufferGoesBackEmpty() {
        var c = started()
        let frames = c.outbound
        var buffers = OutboundBuffers()
        buffers.take(from: &c)
        #expect(c.outbound.isEmpty)
        #expect(buffers.count == frames.count)
        var written: [UInt8] = []
        #expect(!write(&buffers, upTo: 5, into: &written))
        #expect(buffers.count == frames.count - 5)
        #expect(write(&buffers, upTo: .max, into: &written))
        #expect(written == frames)
        // The written buffer goes back to the connection, with its capacity, at the next take.
        var client = Client()
        client.bytes = []
        client.ping()
        _ = feed(&c, client.bytes)
        buffers.take(from: &c)
        #expect(c.outbound.isEmpty && c.outbound.capacity >= frames.count)
    }

    @Test func framesProducedDuringAWriteWaitForIt() {
        var c = started()
        let first = c.outbound
        var buffers = OutboundBuffers()
        buffers.take(from: &c)
        var written: [UInt8] = []
        _ = write(&buffers, upTo: 3, into: &written)
        var client = Client()
        client.bytes = []
        client.ping()
        _ = feed(&c, client.bytes)
        let second = c.outbound
        buffers.take(from: &c)
        #expect(c.outbound == second)
        #expect(buffers.count == first.count - 3)
    }

    @Test func releaseFreesBothBuffersOnlyWhenAllIsWritten() {
        var c = started()
        var buffers = OutboundBuffers()
        buffers.take(from: &c)
        buffers.release(with: &c)
        #expect(!buffers.isEmpty)
        var written: [UInt8] = []
        _ = write(&buffers, upTo: .max, into: &written)
        buffers.release(with: &c)
        #expect(buffers.isEmpty && c.outbound.capacity == 0)
    }

    /// Frames with payloads left out (spliced) and copied ones, pings, takes and partial
    /// writes from few pieces, interleaved at random: the bytes come out as a twin connection
    /// that copies every payload writes them, and every owner is counted down to zero, let go
    /// once each time its last payload went.
    @Test func splicedPayloadsComeOutInPlaceWhateverTheWrites() {
        let pool = UnsafeMutableRawBufferPointer.allocate(byteCount: 50_000, alignment: 1)
        defer { pool.deallocate() }
        for i in 0..<pool.count { pool[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8) }
        var rng = SeededGenerator(seed: 0x5F11CE)
        for round in 0..<30 {
            var client = Client.started()
            client.windowUpdate(0, 1 << 30)
            client.headers(1, get)
            client.windowUpdate(1, 1 << 30)
            var c = HTTP2Connection()
            var twin = HTTP2Connection()
            _ = feed(&c, client.bytes)
            _ = feed(&twin, client.bytes)
            _ = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
            _ = twin.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
            let owners = [Owner(), Owner(), Owner()]
            var buffers = OutboundBuffers()
            var written: [UInt8] = []
            var released = 0
            for step in 0..<80 {
                switch rng.next() % 4 {
                case 0:
                    client.bytes = []
                    client.ping(UInt64(round * 100 + step))
                    _ = feed(&c, client.bytes)
                    _ = feed(&twin, client.bytes)
                case 1:
                    let start = Int(rng.next() % 10_000), count = 1 + Int(rng.next() % 40_000)
                    let bytes = UnsafeRawBufferPointer(rebasing: pool[start..<start + count])
                    let owner = rng.next() % 4 == 0 ? nil : owners[Int(rng.next() % 3)]
                    #expect(c.sendData(1, bytes, endStream: false, nowMs: 0, owner: owner) == count)
                    #expect(twin.sendData(1, bytes, endStream: false, nowMs: 0) == count)
                case 2:
                    buffers.take(from: &c)
                default:
                    _ = write(&buffers, upTo: Int(rng.next() % 30_000), pieces: 1 + Int(rng.next() % 5), into: &written,
                              released: &released)
                }
                #expect(buffers.count + c.outboundCount == twin.outbound.count - written.count)
            }
            while buffers.count + c.outboundCount > 0 {
                buffers.take(from: &c)
                _ = write(&buffers, upTo: 20_000, pieces: 3, into: &written, released: &released)
            }
            #expect(written == twin.outbound, "round \(round)")
            #expect(owners.allSatisfy { $0.pendingPayloads == 0 })
            if written != twin.outbound { break }
        }
    }

    @Test func anOwnerIsLetGoWhenItsLastPayloadIsWritten() {
        var client = Client.started()
        client.headers(1, get)
        var c = HTTP2Connection()
        _ = feed(&c, client.bytes)
        _ = c.sendHeaders(1, status: 200, fields: HeaderList(), endStream: false)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 20_000, alignment: 1)
        defer { payload.deallocate() }
        payload.initializeMemory(as: UInt8.self, repeating: 0x61)
        let owner = Owner()
        _ = c.sendData(1, UnsafeRawBufferPointer(payload), endStream: true, nowMs: 0, owner: owner)
        #expect(owner.pendingPayloads == 2)
        var buffers = OutboundBuffers()
        buffers.take(from: &c)
        var written: [UInt8] = []
        var released = 0
        // Everything but the last payload byte: still pending.
        _ = write(&buffers, upTo: buffers.count - 1, pieces: 64, into: &written, released: &released)
        #expect(owner.pendingPayloads == 1 && released == 0)
        #expect(write(&buffers, upTo: 1, into: &written, released: &released))
        #expect(owner.pendingPayloads == 0 && released == 1)
        #expect(frames(written).suffix(2).map(\.payload.count) == [16_384, 3_616])
    }

    /// Pings, takes and partial writes interleaved at random: the bytes come out whole and in
    /// the order the connection produced them.
    @Test func bytesComeOutInOrderWhateverTheWrites() {
        var rng = SeededGenerator(seed: 0x0B0E)
        for round in 0..<50 {
            var c = started()
            var client = Client()
            var buffers = OutboundBuffers()
            var produced = c.outbound
            var written: [UInt8] = []
            for step in 0..<60 {
                switch rng.next() % 3 {
                case 0:
                    client.bytes = []
                    client.ping(UInt64(round * 100 + step))
                    let before = c.outbound.count
                    _ = feed(&c, client.bytes)
                    produced += c.outbound[before...]
                case 1:
                    buffers.take(from: &c)
                default:
                    _ = write(&buffers, upTo: Int(rng.next() % 40), into: &written)
                }
                #expect(buffers.count + c.outbound.count == produced.count - written.count)
            }
            while buffers.count + c.outbound.count > 0 {
                buffers.take(from: &c)
                _ = write(&buffers, upTo: 7, into: &written)
            }
            #expect(written == produced, "round \(round)")
        }
    }
}
