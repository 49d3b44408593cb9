import ProxyCore
import ProxyIO
public import Traffic

/// Renders the Prometheus text exposition (format 0.0.4) for `GET /metrics` from the
/// workers' published statistics (added up here) and the control side's view of routes
/// and backend health. Runs on the admin loop, once per scrape.
public enum MetricsText {
    /// A route's rollout as the metrics show it: its state, its step (1-based, 0 before the
    /// first rollout) and its automatic reverts since start by reason code.
    public struct RolloutGauge: Sendable {
        public var state: RolloutState
        public var step: Int
        public var reverts: [String: Int]
    }

    public static func render(totals: StatsTotals, routes: [Route], backendHealth: [String: Bool],
                              rollouts: [String: RolloutGauge], stateUnsaved: Bool) -> String {
        var out = ""
        let names = totals.series.keys.sorted()
        func labels(_ name: String, _ pool: Int) -> String {
            "route=\"\(escape(name))\",pool=\"\(pool == 0 ? "blue" : "green")\""
        }

        out += "# HELP sluice_requests_total Requests answered, by route, pool and status class.\n"
        out += "# TYPE sluice_requests_total counter\n"
        for name in names {
            for pool in 0..<2 {
                let fields = totals.series[name]![pool]
                for c in 0..<WorkerStats.classes {
                    out += "sluice_requests_total{\(labels(name, pool)),class=\"\(c + 1)xx\"} \(fields[c])\n"
                }
            }
        }

        out += "# HELP sluice_request_duration_seconds Time from a complete request head to the end of the response.\n"
        out += "# TYPE sluice_request_duration_seconds histogram\n"
        for name in names {
            for pool in 0..<2 {
                let key = labels(name, pool)
                let fields = totals.series[name]![pool]
                var cumulative: UInt64 = 0
                for (i, bound) in WorkerStats.bucketBoundsMs.enumerated() {
                    cumulative &+= fields[WorkerStats.classes + i]
                    out += "sluice_request_duration_seconds_bucket{\(key),le=\"\(seconds(bound))\"} \(cumulative)\n"
                }
                cumulative &+= fields[WorkerStats.classes + WorkerStats.bucketBoundsMs.count]
                out += "sluice_request_duration_seconds_bucket{\(key),le=\"+Inf\"} \(cumulative)\n"
                out += "sluice_request_duration_seconds_sum{\(key)} \(Double(fields[WorkerStats.sumField]) / 1_000_000)\n"
                out += "sluice_request_duration_seconds_count{\(key)} \(cumulative)\n"
            }
        }

        out += "# HELP sluice_backend_failures_total Exchanges a backend failed, before or after the response head, by cause.\n"
        out += "# TYPE sluice_backend_failures_total counter\n"
        for name in names {
            for pool in 0..<2 {
                let fields = totals.series[name]![pool]
                for (i, cause) in Outcome.Cause.backendFailures.enumerated() {
                    out += "sluice_backend_failures_total{\(labels(name, pool)),cause=\"\(cause.label)\"} \(fields[WorkerStats.failuresField + i])\n"
                }
            }
        }

        out += "# HELP sluice_pool_weight_percent Share of a route's traffic sent to a pool.\n"
        out += "# TYPE sluice_pool_weight_percent gauge\n"
        for route in routes.sorted(by: { $0.name < $1.name }) {
            let name = escape(route.name)
            out += "sluice_pool_weight_percent{route=\"\(name)\",pool=\"blue\"} \(Double(route.greenWeight.complement.basisPoints) / 100)\n"
            out += "sluice_pool_weight_percent{route=\"\(name)\",pool=\"green\"} \(Double(route.greenWeight.basisPoints) / 100)\n"
        }

        let states: [RolloutState] = [.idle, .running, .paused, .promoted, .reverted, .aborted]
        out += "# HELP sluice_rollout_state The state of a route's rollout (1 for the current state).\n"
        out += "# TYPE sluice_rollout_state gauge\n"
        for route in routes.sorted(by: { $0.name < $1.name }) {
            let current = rollouts[route.name]?.state ?? .idle
            for state in states {
                out += "sluice_rollout_state{route=\"\(escape(route.name))\",state=\"\(state.rawValue)\"} \(state == current ? 1 : 0)\n"
            }
        }
        out += "# HELP sluice_rollout_step The step a route's rollout holds or ended at (1-based; 0 before any rollout).\n"
        out += "# TYPE sluice_rollout_step gauge\n"
        for route in routes.sorted(by: { $0.name < $1.name }) {
            out += "sluice_rollout_step{route=\"\(escape(route.name))\"} \(rollouts[route.name]?.step ?? 0)\n"
        }
        out += "# HELP sluice_rollout_reverts_total Rollouts reverted automatically since start, by reason.\n"
        out += "# TYPE sluice_rollout_reverts_total counter\n"
        for route in routes.sorted(by: { $0.name < $1.name }) {
            for (reason, count) in (rollouts[route.name]?.reverts ?? [:]).sorted(by: { $0.key < $1.key }) {
                out += "sluice_rollout_reverts_total{route=\"\(escape(route.name))\",reason=\"\(escape(reason))\"} \(count)\n"
            }
        }

        out += "# HELP sluice_state_unsaved Whether a change (such as a revert) is not yet in state.json (1): saving failed and is retried every second.\n"
        out += "# TYPE sluice_state_unsaved gauge\n"
        out += "sluice_state_unsaved \(stateUnsaved ? 1 : 0)\n"

        out += "# HELP sluice_backend_healthy Whether a backend passes its active health checks (1) or not (0), per route and pool it serves.\n"
        out += "# TYPE sluice_backend_healthy gauge\n"
        for route in routes.sorted(by: { $0.name < $1.name }) {
            for (pool, config) in [("blue", route.blue), ("green", route.green)] {
                for backend in config.backends.map(\.label) {
                    out += "sluice_backend_healthy{route=\"\(escape(route.name))\",pool=\"\(pool)\",backend=\"\(escape(backend))\"} \(backendHealth[backend] ?? true ? 1 : 0)\n"
                }
            }
        }

        out += "# HELP sluice_build_info The running Sluice's version (always 1).\n"
        out += "# TYPE sluice_build_info gauge\n"
        out += "sluice_build_info{version=\"\(escape(sluiceVersion))\"} 1\n"

        out += "# HELP sluice_active_connections Open client connections.\n"
        out += "# TYPE sluice_active_connections gauge\n"
        out += "sluice_active_connections \(totals.activeConnections)\n"

        out += "# HELP sluice_requests_by_protocol_total Finished requests by the protocol the client spoke (h2: one per stream).\n"
        out += "# TYPE sluice_requests_by_protocol_total counter\n"
        for p in ClientProtocol.allCases {
            out += "sluice_requests_by_protocol_total{protocol=\"\(p.label)\"} \(totals.requestsByProtocol[p.rawValue])\n"
        }

        out += "# HELP sluice_retries_total Requests sent again to another backend after a failure.\n"
        out += "# TYPE sluice_retries_total counter\n"
        out += "sluice_retries_total \(totals.retries)\n"

        out += "# HELP sluice_rejected_requests_total Requests answered by Sluice itself without a backend, by reason.\n"
        out += "# TYPE sluice_rejected_requests_total counter\n"
        for reason in WorkerStats.Rejection.allCases {
            out += "sluice_rejected_requests_total{reason=\"\(reason.label)\"} \(totals.rejected[reason.rawValue])\n"
        }
        return out
    }

    private static func seconds(_ ms: Double) -> String {
        let s = ms / 1000
        return s == s.rounded() ? String(Int(s)) : String(s)
    }

    /// Label values escape backslash, double quote and newline.
    private static func escape(_ value: String) -> String {
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
