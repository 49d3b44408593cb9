public import ProxyIO
public import Traffic

/// The workers' published statistics added up, by route name and pool. Built once per
/// scrape or status request on the admin loop.
public struct StatsTotals: Sendable {
    /// Fields (`WorkerStats.fields`) per route name, per pool (0 blue, 1 green).
    public private(set) var series: [String: [[UInt64]]] = [:]
    /// The rollout judge's cumulative evidence per route name.
    public private(set) var evidence: [String: SecondEvidence] = [:]
    public private(set) var retries: UInt64 = 0
    public private(set) var rejected = [UInt64](repeating: 0, count: WorkerStats.Rejection.allCases.count)
    public private(set) var activeConnections = 0
    /// Finished exchanges by the protocol the client spoke (`ClientProtocol` order).
    public private(set) var requestsByProtocol = [UInt64](repeating: 0, count: ClientProtocol.allCases.count)

    public init(workers: [WorkerStats]) {
        for w in workers {
            retries &+= w.retries
            activeConnections += w.activeConnections
            for r in WorkerStats.Rejection.allCases { rejected[r.rawValue] &+= w.rejected[r.rawValue] }
            for p in ClientProtocol.allCases { requestsByProtocol[p.rawValue] &+= w.requestsByProtocol[p.rawValue] }
            for (slot, name) in w.routes.enumerated() {
                var pools = series[name] ?? Array(repeating: Array(repeating: 0, count: WorkerStats.fields), count: 2)
                for pool in 0..<2 {
                    for f in 0..<WorkerStats.fields { pools[pool][f] &+= w.value(slot: slot, pool: pool, field: f) }
                }
                series[name] = pools
                evidence[name, default: SecondEvidence()].add(w.evidence[slot])
            }
        }
    }

    /// `requestsByProtocol` as a JSON object keyed by protocol (`http/1.1`, `h2`).
    public var requestsByProtocolJSON: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: ClientProtocol.allCases.map { ($0.label, JSONValue.number(Double(requestsByProtocol[$0.rawValue]))) }))
    }

    /// Requests, 5xx and duration quantiles of one route's pool (zeros when unseen).
    public func summary(route: String, pool: Int) -> [String: JSONValue] {
        let fields = series[route]?[pool] ?? Array(repeating: 0, count: WorkerStats.fields)
        let requests = fields[0..<WorkerStats.classes].reduce(0, +)
        let errors = fields[4]
        func quantile(_ q: Double) -> JSONValue {
            let buckets = Array(fields[WorkerStats.classes..<WorkerStats.sumField])
            let total = buckets.reduce(0, +)
            guard total > 0 else { return .null }
            let rank = q * Double(total)
            var seen: UInt64 = 0
            for (i, n) in buckets.enumerated() where n > 0 {
                if Double(seen + n) >= rank {
                    // Linear inside the bucket; the +Inf bucket reports its lower bound.
                    let lower = i == 0 ? 0 : WorkerStats.bucketBoundsMs[i - 1]
                    guard i < WorkerStats.bucketBoundsMs.count else { return .number(lower) }
                    let upper = WorkerStats.bucketBoundsMs[i]
                    let fraction: Double = (rank - Double(seen)) / Double(n)
                    let ms: Double = lower + (upper - lower) * fraction
                    return .number((ms * 100).rounded() / 100)
                }
                seen += n
            }
            return .number(WorkerStats.bucketBoundsMs.last!)
        }
        return ["requests": .number(Double(requests)), "errors": .number(Double(errors)),
                "errorRate": .number(requests == 0 ? 0 : Double(errors) / Double(requests)),
                "p50Ms": quantile(0.5), "p95Ms": quantile(0.95), "p99Ms": quantile(0.99)]
    }
}
