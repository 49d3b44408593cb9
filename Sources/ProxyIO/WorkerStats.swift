import ProxyCore
public import Traffic

/// One worker's cumulative request statistics, by route name and pool, in flat arrays so
/// that recording a request is a few array increments (no allocation, lock or atomic).
/// Published to the `StatsBoard` every 250 ms; the control side adds up the workers'.
/// Next to these counters for metrics and status, each route keeps the rollout judge's
/// evidence (`SecondEvidence`, cumulative: the controller takes the difference once a second).
public struct WorkerStats: Sendable {
    /// Upper bounds (milliseconds) of the request-duration histogram buckets; the last,
    /// implicit bucket is +Inf.
    public static let bucketBoundsMs: [Double] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]
    /// Per series (route, pool): 5 status classes, the buckets, +Inf, the sum of durations
    /// in microseconds, then one counter per backend failure cause
    /// (`Outcome.Cause.backendFailures`).
    public static let classes = 5
    public static let sumField = classes + bucketBoundsMs.count + 1
    public static let failuresField = sumField + 1
    public static let fields = failuresField + Outcome.Cause.backendFailures.count
    private static let boundsMicros: [Int64] = bucketBoundsMs.map { Int64($0 * 1000) }

    public enum Rejection: Int, CaseIterable, Sendable {
        case badRequest, requestTimeout, uriTooLong, headersTooLarge, noRoute, noBackend, methodNotAllowed
        case methodNotImplemented
        /// The rejection a status the proxy answers by itself stands for (502 and 504 are
        /// backend failures, counted per pool instead).
        init?(status: Int) {
            switch status {
            case 400: self = .badRequest
            case 408: self = .requestTimeout
            case 414: self = .uriTooLong
            case 431: self = .headersTooLarge
            case 404: self = .noRoute
            case 503: self = .noBackend
            case 405: self = .methodNotAllowed
            case 501: self = .methodNotImplemented
            default: return nil
            }
        }

        public var label: String {
            switch self {
            case .badRequest: return "bad_request"
            case .requestTimeout: return "request_timeout"
            case .uriTooLong: return "uri_too_long"
            case .headersTooLarge: return "headers_too_large"
            case .noRoute: return "no_route"
            case .noBackend: return "no_backend"
            case .methodNotAllowed: return "method_not_allowed"
            case .methodNotImplemented: return "method_not_implemented"
            }
        }
    }

    /// Route names in slot order (a slot is never reused, so counters only grow).
    public private(set) var routes: [String] = []
    private var slots: [String: Int] = [:]
    /// `fields` values per series; series = slot * 2 + pool.
    public private(set) var values: [UInt64] = []
    /// The judge's counters per route slot, cumulative: requests routed by weight (no forced
    /// override traffic, no client aborts), failures (5xx, Sluice's own 502/503/504) and the
    /// latency of the successes in the judge's fine histogram.
    public private(set) var evidence: [SecondEvidence] = []
    public var retries: UInt64 = 0
    public var rejected = [UInt64](repeating: 0, count: Rejection.allCases.count)
    public var activeConnections = 0
    /// Finished exchanges by the protocol the client spoke (`ClientProtocol` order).
    public var requestsByProtocol = [UInt64](repeating: 0, count: ClientProtocol.allCases.count)

    public init() {}

    /// The slot of a route name, creating it on first use (at snapshot install, not per request).
    mutating func slot(for name: String) -> Int {
        if let s = slots[name] { return s }
        slots[name] = routes.count
        routes.append(name)
        values.append(contentsOf: repeatElement(0, count: 2 * Self.fields))
        evidence.append(SecondEvidence())
        return routes.count - 1
    }

    /// Records one finished exchange from its outcome: its counted status class and duration,
    /// a backend failure's cause, and, unless `forced` by the override header or given up by
    /// the client, the rollout judge's evidence (a failure after the head counts like a 502).
    /// Does not allocate unless a published copy still shares the storage (once per
    /// publication at most).
    @inline(__always)
    mutating func record(slot: Int, pool: Pool, outcome: Outcome, micros: Int64, forced: Bool) {
        let counted = outcome.countedStatus
        if !forced && outcome.isJudged {
            evidence[slot].record(pool, failed: counted >= 500, micros: Int(micros))
        }
        let base = (slot * 2 + Int(pool.rawValue)) * Self.fields
        let statusClass = min(max(counted / 100, 1), 5) - 1
        values[base + statusClass] &+= 1
        var bucket = 0
        while bucket < Self.boundsMicros.count && micros > Self.boundsMicros[bucket] { bucket += 1 }
        values[base + Self.classes + bucket] &+= 1
        values[base + Self.sumField] &+= UInt64(max(micros, 0))
        if outcome.isBackendFailure {
            values[base + Self.failuresField + outcome.cause.rawValue - Outcome.Cause.connectFailed.rawValue] &+= 1
        }
    }

    /// The value of `field` for series (route slot, pool).
    public func value(slot: Int, pool: Int, field: Int) -> UInt64 {
        values[(slot * 2 + pool) * Self.fields + field]
    }
}
