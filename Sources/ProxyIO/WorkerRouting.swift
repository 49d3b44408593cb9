import Traffic

/// A worker's routing state for one snapshot: the snapshot plus the parts the worker
/// mutates (weighted pool pickers, round-robin positions, idle backend connections).
///
/// Loop-local: created on the worker's thread when a snapshot is installed and never
/// shared with another thread. An exchange keeps the instance it started with, so a new
/// snapshot never changes the route or backend of a request in flight.
final class WorkerRouting {
    let snapshot: RoutingSnapshot
    private var pickers: [WeightedPicker]
    /// Next backend position per route and pool.
    private var roundRobin: [[Int]]
    /// Idle keep-alive connections per backend index.
    private var idle: [[BackendConnection]]
    /// Active health per backend index, as last reported by the health checker.
    private var healthy: [Bool]
    /// Passive health per backend index, from this worker's own requests.
    private var ejection: [PassiveEjection]
    /// Connections per backend index serving an exchange right now.
    private var inUse: [Int]
    private let maxInUse: Int
    /// False once a newer snapshot replaced this one: connections are no longer pooled.
    private(set) var isCurrent = true

    /// `previous`: the routing this one replaces; backends it shares (by address) keep
    /// their active health, so a weight change or reload never revives a down backend.
    /// The worker's statistics slot of each route (by route index).
    let statsSlots: [Int]

    init(snapshot: RoutingSnapshot, maxConnectionsPerBackend: Int, statsSlots: [Int], previous: WorkerRouting? = nil) {
        self.snapshot = snapshot
        self.statsSlots = statsSlots
        maxInUse = maxConnectionsPerBackend
        pickers = snapshot.routes.map { WeightedPicker(green: $0.route.greenWeight, seed: .random(in: .min ... .max)) }
        roundRobin = snapshot.routes.map { _ in [0, 0] }
        idle = Array(repeating: [], count: snapshot.backends.count)
        healthy = Array(repeating: true, count: snapshot.backends.count)
        if let previous {
            var old: [[UInt8]: Bool] = [:]
            for (i, label) in previous.snapshot.backendLabels.enumerated() { old[label] = previous.healthy[i] }
            for (i, label) in snapshot.backendLabels.enumerated() { healthy[i] = old[label] ?? true }
        }
        ejection = Array(repeating: PassiveEjection(), count: snapshot.backends.count)
        inUse = Array(repeating: 0, count: snapshot.backends.count)
    }

    /// Whether a new request may go to `backend`: healthy by its checks, not ejected, and
    /// under the worker's connection limit for it.
    @inline(__always)
    func isAvailable(_ backend: Int, now: Int64) -> Bool {
        healthy[backend] && ejection[backend].isAvailable(now: now) && inUse[backend] < maxInUse
    }

    /// An exchange starts using a connection to `backend`.
    func acquire(_ backend: Int) { inUse[backend] += 1 }

    /// An exchange stops using a connection to `backend`.
    func release(_ backend: Int) { inUse[backend] -= 1 }

    /// The health checker's latest view; ignored if it is about another snapshot.
    func updateHealth(generation: Int, healthy: [Bool]) {
        guard generation == snapshot.generation, healthy.count == self.healthy.count else { return }
        self.healthy = healthy
    }

    /// A request to `backend` got a response head.
    func recordSuccess(_ backend: Int) {
        ejection[backend].recordSuccess()
    }

    /// A request to `backend` failed (refused, timed out, reset before a response).
    func recordFailure(_ backend: Int, now: Int64) {
        _ = ejection[backend].recordFailure(now: now)
    }

    /// The pool for the next unforced, non-sticky request of `route`.
    func nextPool(route: Int) -> Pool { pickers[route].next() }

    /// The backends of `pool` in `route`, starting at the round-robin position (which
    /// advances by one per call).
    func backendOrder(route: Int, pool: Pool) -> (list: [Int], start: Int) {
        let p = Int(pool.rawValue)
        let list = snapshot.routes[route].poolBackends[p]
        let start = roundRobin[route][p] % max(list.count, 1)
        roundRobin[route][p] = start + 1
        return (list, start)
    }

    /// The next untried available backend for a request of `route` that chose `pool`: the
    /// pool's first (from its round-robin position), then the stable pool's, so a pool with
    /// no healthy backend sends its share to the stable pool. Runs once per try.
    func nextCandidate(route: Int, pool: Pool, tried: TriedBackends, now: Int64) -> (Int, Pool)? {
        let stable = snapshot.routes[route].route.stable
        for pass in 0..<(pool == stable ? 1 : 2) {
            let candidatePool = pass == 0 ? pool : stable
            let (list, start) = backendOrder(route: route, pool: candidatePool)
            for k in 0..<list.count {
                let b = list[(start + k) % list.count]
                if !tried.contains(b) && isAvailable(b, now: now) { return (b, candidatePool) }
            }
        }
        return nil
    }

    /// An idle pooled connection to `backend`, or nil.
    func takeIdle(_ backend: Int) -> BackendConnection? { idle[backend].popLast() }

    /// Keeps a connection whose exchange ended cleanly; false if it must be closed instead.
    func putIdle(_ conn: BackendConnection) -> Bool {
        guard isCurrent else { return false }
        idle[conn.backend].append(conn)
        return true
    }

    /// Forgets an idle connection (closed by the backend or timed out).
    func removeIdle(_ conn: BackendConnection) {
        if let i = idle[conn.backend].firstIndex(where: { $0 === conn }) { idle[conn.backend].remove(at: i) }
    }

    /// Called when a newer snapshot takes over; returns the idle connections to close.
    func retire() -> [BackendConnection] {
        isCurrent = false
        defer { idle = [] }
        return idle.flatMap { $0 }
    }
}
