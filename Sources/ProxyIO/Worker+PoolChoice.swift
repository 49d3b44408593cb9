import HTTP1
import ProxyCore
import Traffic

extension Worker {
    /// The pool for a request of `route` (HTTP/1.1 or an HTTP/2 stream), as `PoolChoice`
    /// decides: forced by the override header, the sticky key's bucket (a new key made into
    /// `newKey` when a cookie route has none), or the weighted picker. Runs once per request.
    func choosePool(_ head: borrowing MessageHead, _ buf: UnsafeRawBufferPointer, routing: WorkerRouting, route: Int,
                    peer: IPAddress, peerText: borrowing PeerText, newKey: inout ByteBuffer) -> (pool: Pool, forced: Bool, newStickyKey: Bool) {
        let entry = routing.snapshot.routes[route]
        let choice = PoolChoice.of(head, buf, route: entry.route, overrideName: entry.overrideHeaderBytes,
                                   stickyName: entry.stickyNameBytes, peer: peer, peerText: peerText)
        switch choice {
        case .forced(let pool):
            return (pool, true, false)
        case .sticky(let bucket):
            return (StickyHash.pool(bucket: bucket, green: entry.route.greenWeight), false, false)
        case .newStickyKey:
            ids.appendRandomKey(to: &newKey)
            return (StickyHash.pool(bucket: StickyHash.bucket(newKey.readable), green: entry.route.greenWeight), false, true)
        case .byWeight:
            return (routing.nextPool(route: route), false, false)
        }
    }
}
