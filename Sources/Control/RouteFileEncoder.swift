public import Traffic

/// A route back in the route file's format with every default written out: what
/// `sluice check --effective` prints (like `nginx -T`), and the analysis part of a rollout's
/// dry run. Decoding the result gives the same route.
public enum RouteFileEncoder {
    /// The whole route.
    public static func json(_ route: Route) -> JSONValue {
        var match: [String: JSONValue] = ["pathPrefix": .string(String(decoding: route.pathPrefix, as: UTF8.self))]
        if let host = route.host { match["host"] = .string(host.description) }
        var file: [String: JSONValue] = [
            "name": .string(route.name),
            "match": .object(match),
            "pools": ["blue": pool(route.blue), "green": pool(route.green)],
            "stable": .string(route.stable.name),
            "weights": ["green": percent(route.greenWeight), "blue": percent(route.greenWeight.complement)],
            "exposePool": .bool(route.exposePool),
            "timeouts": ["connect": duration(route.timeouts.connectMs), "firstByte": duration(route.timeouts.firstByteMs),
                         "idle": duration(route.timeouts.idleMs)],
            "retries": ["attempts": .number(Double(route.retries.attempts)),
                        "on": .array((route.retries.onConnectFailure ? ["connect-failure"] : [])
                                     + (route.retries.onResetBeforeResponse ? ["reset-before-response"] : []))],
            "health": ["path": .string(route.health.path), "interval": duration(route.health.intervalMs),
                       "timeout": duration(route.health.timeoutMs), "unhealthyAfter": .number(Double(route.health.unhealthyAfter)),
                       "healthyAfter": .number(Double(route.health.healthyAfter))],
            "analysis": analysis(route.analysis),
        ]
        if let sticky = route.sticky {
            file["sticky"] = sticky.by == .clientIP ? ["by": "ip"] : ["by": .string(sticky.by.rawValue), "name": .string(sticky.name)]
        }
        if let override = route.override {
            file["override"] = ["header": .string(override.header), "allowFrom": .array(override.allowFrom.map { .string($0.description) })]
        }
        if let webhook = route.webhook { file["webhook"] = .string(webhook) }
        return .object(file)
    }

    /// `analysis` as a route file writes it.
    public static func analysis(_ a: AnalysisConfig) -> JSONValue {
        [
            "minRequests": .number(Double(a.minRequests)),
            "errorRate": ["maxIncrease": .number(a.errorRateMaxIncrease), "maxRatio": .number(a.errorRateMaxRatio)],
            "latency": ["quantile": .number(a.latencyQuantile), "maxIncrease": duration(a.latencyMaxIncreaseMs),
                        "maxRatio": .number(a.latencyMaxRatio)],
        ]
    }

    private static func pool(_ p: PoolConfig) -> JSONValue {
        ["backends": .array(p.backends.map { .string($0.label) })]
    }

    private static func percent(_ w: Weight) -> JSONValue { .number(Double(w.basisPoints) / 100) }

    private static func duration(_ ms: Int) -> JSONValue { .string(formatDuration(ms: ms)) }
}
