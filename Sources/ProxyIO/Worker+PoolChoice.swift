import HTTP1
import ProxyCore
import Traffic

extension Worker {
    /// The pool `choice` (`PoolChoice.of` the request, which the caller runs: it reads the
    /// head in place) comes to for a request of `route`, HTTP/1.1 or an HTTP/2 stream:
    /// forced, the sticky key's bucket (a new key made into `newKey` when a cookie route has
    /// none), or the weighted picker. Runs once per request.
    @inline(__always)
    func pool(for choice: PoolChoice, routing: WorkerRouting, route: Int, newKey: inout ByteBuffer) -> (pool: Pool, forced: Bool, newStickyKey: Bool) {
        let green = routing.snapshot.routes[route].route.greenWeight
        switch choice {
        case .forced(let pool):
            return (pool, true, false)
        case .sticky(let bucket):
            return (StickyHash.pool(bucket: bucket, green: green), false, false)
        case .newStickyKey:
            ids.appendRandomKey(to: &newKey)
            return (StickyHash.pool(bucket: StickyHash.bucket(newKey.readable), green: green), false, true)
        case .byWeight:
            return (routing.nextPool(route: route), false, false)
        }
    }
}
