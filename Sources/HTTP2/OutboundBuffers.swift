/// The output of one connection in two sets of buffers that trade places: the socket is
/// written from one while `HTTP2Connection` fills the other (its `outbound` and
/// `outboundSplices`), so that a byte is never copied or moved after it was framed: a partial
/// write only advances a position. Once everything taken is written, `take` hands the buffers
/// back, emptied with their capacity kept, in exchange for the frames produced meanwhile.
///
/// What is written is a sequence of pieces: the frame bytes up to the first splice, its
/// payload, the frame bytes up to the next splice, and so on. A splice's owner is counted
/// down as soon as its payload is written.
public struct OutboundBuffers {
    private var bytes: [UInt8] = []
    private var splices: [Splice] = []
    /// The position: `bytes` are written up to `byteAt`, the splices before `next` wholly,
    /// and `payloadAt` bytes of splice `next` (whose payload is being written when
    /// `byteAt` is its `at`).
    private var byteAt = 0
    private var next = 0
    private var payloadAt = 0
    /// Bytes taken and not yet written.
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// Takes the frames `connection` has produced, if there are and everything taken before
    /// is written (else it waits for `didWrite`).
    public mutating func take(from connection: inout HTTP2Connection) {
        guard isEmpty, connection.outboundCount > 0 else { return }
        count = connection.outboundCount
        connection.swapOutbound(&bytes, &splices)
        byteAt = 0
        next = 0
        payloadAt = 0
    }

    /// Calls `body` with the next unwritten pieces, at most `limit` (none when all is
    /// written). They are the same bytes until `didWrite`.
    public func withUnwrittenPieces<R>(limit: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> R) -> R {
        bytes.withUnsafeBytes { all in
            withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: limit) { pieces in
                var n = 0
                var b = byteAt, k = next, p = payloadAt
                while n < limit {
                    if k < splices.count && b == splices[k].at {
                        pieces[n] = UnsafeRawBufferPointer(rebasing: splices[k].bytes[p...])
                        k += 1
                        p = 0
                    } else {
                        let end = k < splices.count ? splices[k].at : all.count
                        if b == end { break }
                        pieces[n] = UnsafeRawBufferPointer(rebasing: all[b..<end])
                        b = end
                    }
                    n += 1
                }
                return body(UnsafeBufferPointer(rebasing: pieces[..<n]))
            }
        }
    }

    /// The first `n` bytes of the pieces `withUnwrittenPieces` gave were written; `released`
    /// is called with each owner whose last pending payload that wrote. Returns whether all
    /// taken is written.
    @discardableResult
    public mutating func didWrite(_ n: Int, released: (any PayloadOwner) -> Void = { _ in }) -> Bool {
        precondition(n >= 0 && n <= count, "more written than withUnwrittenPieces gave")
        count -= n
        var left = n
        while left > 0 {
            if next < splices.count && byteAt == splices[next].at {
                let splice = splices[next]
                let step = min(left, splice.bytes.count - payloadAt)
                payloadAt += step
                left -= step
                guard payloadAt == splice.bytes.count else { continue }
                next += 1
                payloadAt = 0
                splice.owner.pendingPayloads -= 1
                if splice.owner.pendingPayloads == 0 { released(splice.owner) }
            } else {
                let end = next < splices.count ? splices[next].at : bytes.count
                let step = min(left, end - byteAt)
                byteAt += step
                left -= step
            }
        }
        // The owners are let go as soon as all is out, not at the next `take`.
        if count == 0 { splices.removeAll(keepingCapacity: true) }
        return count == 0
    }

    /// Frees the buffers' storage when nothing is waiting in them (the connection is idle).
    public mutating func release(with connection: inout HTTP2Connection) {
        guard isEmpty, connection.outboundCount == 0 else { return }
        bytes = []
        splices = []
        var noBytes: [UInt8] = []
        var noSplices: [Splice] = []
        connection.swapOutbound(&noBytes, &noSplices)
    }
}
