import Traffic

/// One route's figures for each of its last 15 minutes of seconds, per pool, for the dashboard's
/// charts (`GET /routes/{name}/history`): a ring of `capacity` slots allocated once, written by
/// the rollout tick once a second. Appending never allocates; the oldest second is overwritten.
struct RecentSeconds {
    /// 15 minutes of seconds.
    static let capacity = 900

    /// What one pool served in one second: the requests routed by weight, their failures, and
    /// the latency quantiles of the successes in milliseconds (NaN without successes).
    struct Figures {
        var requests: Int32 = 0
        var failures: Int32 = 0
        var p50Ms: Float = .nan
        var p95Ms: Float = .nan
        var p99Ms: Float = .nan

        init() {}

        init(_ pool: PoolSecond) {
            requests = Int32(clamping: pool.requests)
            failures = Int32(clamping: pool.failures)
            p50Ms = Float(pool.latency.quantile(0.5) ?? .nan)
            p95Ms = Float(pool.latency.quantile(0.95) ?? .nan)
            p99Ms = Float(pool.latency.quantile(0.99) ?? .nan)
        }
    }

    private var blue = [Figures](repeating: Figures(), count: capacity)
    private var green = [Figures](repeating: Figures(), count: capacity)
    /// The number of the newest second (1 for the first one appended; 0 before any).
    private(set) var latest = 0

    /// Runs once a second: keeps `second`'s figures as second number `latest + 1`, in place of
    /// the one 15 minutes older.
    mutating func append(_ second: SecondEvidence) {
        let slot = latest % Self.capacity
        blue[slot] = Figures(second.blue)
        green[slot] = Figures(second.green)
        latest += 1
    }

    /// The seconds after number `since` that are still kept, oldest first, as
    /// `(number, blue, green)`.
    func seconds(since: Int) -> [(number: Int, blue: Figures, green: Figures)] {
        let first = max(since + 1, latest - Self.capacity + 1, 1)
        guard first <= latest else { return [] }
        return (first...latest).map { number in
            let slot = (number - 1) % Self.capacity
            return (number, blue[slot], green[slot])
        }
    }
}
