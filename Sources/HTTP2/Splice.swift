/// What keeps the bytes of DATA payloads sent without a copy (`HTTP2Connection.sendData`
/// with an owner) where they are and unchanged until they are written: `pendingPayloads`
/// counts its payloads queued and not yet written.
public protocol PayloadOwner: AnyObject {
    var pendingPayloads: Int { get set }
}

/// A DATA frame's payload left out of `HTTP2Connection.outbound`: its bytes go on the wire at
/// offset `at` of those frames (right after the frame's header), from where `owner` keeps them.
public struct Splice {
    public let at: Int
    public let bytes: UnsafeRawBufferPointer
    public let owner: any PayloadOwner
}
