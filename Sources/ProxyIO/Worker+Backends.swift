import ProxyCore
import Traffic

extension Worker {
    /// A connection for the next try of an exchange of `route` that chose `pool`, for either
    /// client protocol: the next untried available backend (`WorkerRouting.nextCandidate`:
    /// the pool's, then the stable pool's), an idle pooled connection to it or a new
    /// non-blocking connect; at most `1 + retries.attempts` tries. `pool` and `backendIndex`
    /// name the last backend tried (the access log's); `reused`: from the idle pool. Nil
    /// when none is left.
    @inline(__always)
    func connectNextBackend(_ exchange: borrowing Exchange, routing: WorkerRouting, route: Int, pool: inout Pool,
                            backendIndex: inout Int, tried: inout TriedBackends) -> (BackendConnection, reused: Bool)? {
        while exchange.mayTry, let (candidate, candidatePool) = routing.nextCandidate(route: route, pool: pool, tried: tried, now: loop.now) {
            if exchange.tries > 0 { stats.retries &+= 1 }
            tried.insert(candidate)
            backendIndex = candidate
            pool = candidatePool
            if let conn = routing.takeIdle(candidate) { return (conn, true) }
            let (conn, _) = BackendConnection.connect(to: candidate, routing: routing, worker: self,
                                                      idleTimeoutMs: routing.snapshot.routes[route].route.timeouts.idleMs64)
            if let conn { return (conn, false) }
        }
        return nil
    }
}
