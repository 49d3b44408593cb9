/// Both pools' counters for one second of one route: what the judge and the rollout state
/// machine consume once a second.
public struct SecondEvidence: Hashable, Sendable {
    public var blue: PoolSecond
    public var green: PoolSecond

    /// Evidence with the given pools' counters (empty by default).
    public init(blue: PoolSecond = PoolSecond(), green: PoolSecond = PoolSecond()) {
        self.blue = blue
        self.green = green
    }

    /// The counters of `pool`.
    public subscript(pool: Pool) -> PoolSecond {
        pool == .blue ? blue : green
    }

    /// Counts one finished request of `pool` (see `PoolSecond.record`). Runs once per request;
    /// does not allocate.
    public mutating func record(_ pool: Pool, failed: Bool, micros: Int) {
        if pool == .blue {
            blue.record(failed: failed, micros: micros)
        } else {
            green.record(failed: failed, micros: micros)
        }
    }

    /// Adds another worker's counters for the same second to these.
    public mutating func add(_ other: SecondEvidence) {
        blue.add(other.blue)
        green.add(other.green)
    }

    /// Takes back an earlier reading of the same cumulative counters (see `PoolSecond.subtract`).
    public mutating func subtract(_ other: SecondEvidence) {
        blue.subtract(other.blue)
        green.subtract(other.green)
    }

    /// Zeroes both pools' counters, keeping their storage, for the next second.
    public mutating func reset() {
        blue.reset()
        green.reset()
    }
}
