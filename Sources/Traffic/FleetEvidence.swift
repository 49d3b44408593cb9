/// The leader's sum of every live instance's evidence (docs/fleet.md): each instance
/// publishes its cumulative counters per route (`SecondEvidence` since it started) once a
/// second; once a second the leader takes, per route, what all live instances served since
/// its previous take, so a late or missed publication loses nothing and nothing counts twice.
/// An instance that is no longer live (its lease expired with its key) leaves the sum; one
/// seen for the first time counts from its start; a reading from a new start of an instance
/// (another epoch) or whose counters went back counts from zero. The leader's first take
/// only records where everyone stands: what came before was judged by the previous leader
/// and is in the stored judge state. Pure.
public struct FleetEvidence: Sendable {
    /// One instance's latest publication.
    public struct Reading: Hashable, Sendable {
        public var instance: String
        /// Which start of the instance the counters belong to (its lease ID).
        public var epoch: Int64
        /// Cumulative counters per route name since that start.
        public var routes: [String: SecondEvidence]

        public init(instance: String, epoch: Int64, routes: [String: SecondEvidence]) {
            self.instance = instance
            self.epoch = epoch
            self.routes = routes
        }
    }

    private var seen: [String: Reading] = [:]
    private var primed = false

    public init() {}

    /// The instances whose evidence is in the sum.
    public var instances: [String] { seen.keys.sorted() }

    /// Runs once a second on the leader with the latest reading of every live instance (one
    /// per instance). Returns, per route, the evidence all of them gathered since the last
    /// call.
    public mutating func take(_ readings: [Reading]) -> [String: SecondEvidence] {
        var sum: [String: SecondEvidence] = [:]
        var next: [String: Reading] = [:]
        for reading in readings {
            next[reading.instance] = reading
            guard primed else { continue }
            let before = seen[reading.instance].flatMap { $0.epoch == reading.epoch ? $0 : nil }
            for (route, cumulative) in reading.routes {
                var delta = cumulative
                if let previous = before?.routes[route], Self.contains(cumulative, previous) { delta.subtract(previous) }
                sum[route, default: SecondEvidence()].add(delta)
            }
        }
        seen = next
        primed = true
        return sum
    }

    /// Whether `later` can be a later reading of the same counters as `earlier` (no count
    /// went back).
    private static func contains(_ later: SecondEvidence, _ earlier: SecondEvidence) -> Bool {
        [Pool.blue, .green].allSatisfy { pool in
            let a = later[pool], b = earlier[pool]
            return a.requests >= b.requests && a.failures >= b.failures
                && zip(a.latency.counts, b.latency.counts).allSatisfy { $0 >= $1 }
        }
    }
}
