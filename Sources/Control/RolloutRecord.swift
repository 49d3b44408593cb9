public import Traffic

/// A route's rollout as the state file keeps it (`RouteState.rollout`): the progress (state,
/// plan, step, time already held, requests in the step) and the judge's evidence, as plain JSON
/// numbers and strings. Written after every change and every judged second; read back at start
/// so that a restarted Sluice resumes the same step with the same evidence.
public enum RolloutRecord {
    /// The JSON object for a rollout's progress and judge state.
    public static func encode(_ progress: RolloutProgress, judge: JudgeState) -> [String: JSONValue] {
        let analysis = progress.analysis
        return [
            "state": .string(progress.state.rawValue),
            "target": .string(progress.target.name),
            "steps": .array(progress.plan.steps.map { .number(Double($0.basisPoints)) }),
            "holdsMs": .array(progress.plan.holdsMs.map { .number(Double($0)) }),
            "analysis": [
                "errorRateMaxIncrease": .number(analysis.errorRateMaxIncrease),
                "errorRateMaxRatio": .number(analysis.errorRateMaxRatio),
                "latencyQuantile": .number(analysis.latencyQuantile),
                "latencyMaxIncreaseMs": .number(Double(analysis.latencyMaxIncreaseMs)),
                "latencyMaxRatio": .number(analysis.latencyMaxRatio),
                "minRequests": .number(Double(analysis.minRequests)),
            ],
            "step": .number(Double(progress.step)),
            "heldMs": .number(Double(progress.heldMs)),
            "stepRequests": .number(Double(progress.stepRequests)),
            "holdExtended": .bool(progress.holdExtended),
            "reason": progress.reason.map { .string(code(of: $0)) } ?? .null,
            "judge": [
                "seconds": .number(Double(judge.seconds)),
                "startedComponents": .number(Double(judge.startedComponents)),
                "reference": counts(judge.reference),
                "logRatios": .array(judge.logRatios.map { .array($0.map(JSONValue.number)) }),
                "tallies": .array(judge.tallies.map(JSONValue.number)),
                "target": pool(judge.target),
                "stable": pool(judge.stable),
                "targetSinceRestart": pool(judge.targetSinceRestart),
                "stableSinceRestart": pool(judge.stableSinceRestart),
            ],
        ]
    }

    /// Reads a record back; nil when anything is missing, of the wrong type or out of range
    /// (the caller reports the route and refuses to guess).
    public static func decode(_ object: [String: JSONValue]) -> (RolloutProgress, JudgeState)? {
        let o = Reader(object)
        guard let stateName = o.string("state"), let state = RolloutState(rawValue: stateName),
              let targetName = o.string("target"), let target = Pool(name: targetName),
              let stepPoints = o.integers("steps"), let holds = o.integers("holdsMs"),
              let plan = try? RolloutPlan(steps: stepPoints.compactMap { Weight(basisPoints: $0) }, holdsMs: holds),
              plan.steps.count == stepPoints.count,
              let a = o.object("analysis"), let step = o.integer("step"), let heldMs = o.integer("heldMs"),
              let stepRequests = o.integer("stepRequests"), let holdExtended = o.bool("holdExtended"),
              let j = o.object("judge")
        else { return nil }
        var reason: RevertReason?
        if let code = o.string("reason") {
            guard let known = Self.reason(code: code) else { return nil }
            reason = known
        }
        guard let errorIncrease = a.number("errorRateMaxIncrease"), let errorRatio = a.number("errorRateMaxRatio"),
              let quantile = a.number("latencyQuantile"), let latencyIncrease = a.integer("latencyMaxIncreaseMs"),
              let latencyRatio = a.number("latencyMaxRatio"), let minRequests = a.integer("minRequests"),
              let seconds = j.integer("seconds"), let started = j.integer("startedComponents"),
              let reference = j.counts("reference"), let rows = j.array("logRatios"),
              let tallies = j.numbers("tallies"), let targetPool = j.object("target").flatMap({ pool($0.object) }),
              let stablePool = j.object("stable").flatMap({ pool($0.object) }),
              let targetRecent = j.object("targetSinceRestart").flatMap({ pool($0.object) }),
              let stableRecent = j.object("stableSinceRestart").flatMap({ pool($0.object) })
        else { return nil }
        let logRatios = rows.map { Reader.numbers($0) }
        guard logRatios.allSatisfy({ $0 != nil }) else { return nil }
        let analysis = AnalysisConfig(
            errorRateMaxIncrease: errorIncrease, errorRateMaxRatio: errorRatio, latencyQuantile: quantile,
            latencyMaxIncreaseMs: latencyIncrease, latencyMaxRatio: latencyRatio, minRequests: minRequests)
        let progress = RolloutProgress(
            state: state, target: target, plan: plan, analysis: analysis, step: step, heldMs: heldMs,
            stepRequests: stepRequests, holdExtended: holdExtended, reason: reason)
        let judge = JudgeState(
            seconds: seconds, startedComponents: started, reference: reference, logRatios: logRatios.compactMap { $0 },
            tallies: tallies, target: targetPool, stable: stablePool, targetSinceRestart: targetRecent,
            stableSinceRestart: stableRecent)
        return (progress, judge)
    }

    /// The stable name of a revert reason in the file and the admin API.
    public static func code(of reason: RevertReason) -> String {
        switch reason {
        case .regression(let test): "regression:" + test.rawValue
        case .targetUnhealthy: "target_unhealthy"
        case .aborted: "aborted"
        case .rolledBack: "rolled_back"
        }
    }

    private static func reason(code: String) -> RevertReason? {
        switch code {
        case "target_unhealthy": return .targetUnhealthy
        case "aborted": return .aborted
        case "rolled_back": return .rolledBack
        default:
            guard code.hasPrefix("regression:"), let test = JudgeTest(rawValue: String(code.dropFirst(11))) else { return nil }
            return .regression(test)
        }
    }

    private static func counts(_ values: [UInt64]) -> JSONValue {
        .array(values.map { .number(Double($0)) })
    }

    /// A pool's counters as JSON (`requests`, `failures`, `latency`: the histogram's
    /// counts); also the fleet's published evidence (`EvidenceRecord`).
    static func pool(_ pool: PoolSecond) -> JSONValue {
        ["requests": .number(Double(pool.requests)), "failures": .number(Double(pool.failures)),
         "latency": counts(pool.latency.counts)]
    }

    /// A pool's counters read back; nil when anything is missing or out of range.
    static func pool(_ object: [String: JSONValue]) -> PoolSecond? {
        let o = Reader(object)
        guard let requests = o.integer("requests"), let failures = o.integer("failures"),
              let counts = o.counts("latency"), let latency = LatencyHistogram(counts: counts)
        else { return nil }
        return PoolSecond(requests: requests, failures: failures, latency: latency)
    }
}

/// Typed access to a JSON object's members; every accessor answers nil for a missing member or
/// another type, and integers must be whole numbers within 0...2^53.
private struct Reader {
    let object: [String: JSONValue]

    init(_ object: [String: JSONValue]) {
        self.object = object
    }

    func string(_ key: String) -> String? {
        if case .string(let s)? = object[key] { return s }
        return nil
    }

    func bool(_ key: String) -> Bool? {
        if case .bool(let b)? = object[key] { return b }
        return nil
    }

    func number(_ key: String) -> Double? {
        if case .number(let n)? = object[key], n.isFinite { return n }
        return nil
    }

    func integer(_ key: String) -> Int? {
        number(key).flatMap(Self.integer)
    }

    func object(_ key: String) -> Reader? {
        if case .object(let o)? = object[key] { return Reader(o) }
        return nil
    }

    func array(_ key: String) -> [JSONValue]? {
        if case .array(let a)? = object[key] { return a }
        return nil
    }

    func numbers(_ key: String) -> [Double]? {
        object[key].flatMap(Self.numbers)
    }

    func integers(_ key: String) -> [Int]? {
        guard let values = numbers(key) else { return nil }
        let whole = values.compactMap(Self.integer)
        return whole.count == values.count ? whole : nil
    }

    func counts(_ key: String) -> [UInt64]? {
        integers(key).map { $0.map { UInt64($0) } }
    }

    static func numbers(_ value: JSONValue) -> [Double]? {
        guard case .array(let a) = value else { return nil }
        var out: [Double] = []
        for element in a {
            guard case .number(let n) = element, n.isFinite else { return nil }
            out.append(n)
        }
        return out
    }

    static func integer(_ n: Double) -> Int? {
        n >= 0 && n <= 9_007_199_254_740_992 && n.rounded() == n ? Int(n) : nil
    }
}
