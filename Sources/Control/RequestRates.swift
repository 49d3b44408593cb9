import ProxyIO

/// Live request rates per route and pool: the workers' request totals sampled once a
/// second, and the rate over the last 10 s of samples.
struct RequestRates {
    private var samples: [(ms: Int64, counts: [String: [UInt64]])] = []

    /// Adds a sample; keeps 11 (10 s of differences).
    mutating func sample(_ totals: StatsTotals, nowMs: Int64) {
        var counts: [String: [UInt64]] = [:]
        for (name, pools) in totals.series {
            counts[name] = pools.map { $0[0..<WorkerStats.classes].reduce(0, +) }
        }
        samples.append((nowMs, counts))
        if samples.count > 11 { samples.removeFirst(samples.count - 11) }
    }

    /// Requests per second of `pool` in `route` over the sampled window (0 before two samples).
    func rate(route: String, pool: Int) -> Double {
        guard let first = samples.first, let last = samples.last, last.ms > first.ms else { return 0 }
        let delta = (last.counts[route]?[pool] ?? 0) &- (first.counts[route]?[pool] ?? 0)
        return (Double(delta) * 1000 / Double(last.ms - first.ms) * 10).rounded() / 10
    }
}
