import Control
import Glibc
import ProxyIO
import Traffic

/// `sluice ctl status [ROUTE] [--watch]`.
extension CtlCommand {
    /// Prints the status table once (with ROUTE, also the rollout's running verdict).
    static func showStatus(_ client: AdminClient, route: String?, json: Bool) throws(AdminClient.Failure) -> Int32 {
        let response = try client.send("GET", route.map { "/routes/\($0)" } ?? "/routes")
        return finish(response, client, json: json, expect: route == nil ? ["routes"] : ["name", "weights"]) { body in
            printStatus(body["routes"]?.arrayValue ?? [body])
            if let byProtocol = body["requestsByProtocol"]?.objectValue {
                print("requests by protocol (all routes, since start): "
                      + byProtocol.keys.sorted().map { "\($0) \(text(byProtocol[$0]))" }.joined(separator: ", "))
            }
            if route != nil, let rollout = body["rollout"], rollout["steps"] != nil {
                printVerdict(rollout)
            }
            if route == nil { printFleetIfAny(client) }
        }
    }

    /// `--watch`: redraws the status every second until SIGINT or SIGTERM ends the process
    /// (ctl keeps their default action). On a terminal each frame replaces the last; the cursor
    /// and the terminal's modes are never changed, so nothing needs restoring. A failed frame
    /// (the API unreachable, a refusal) shows why, and the next second asks again: a watch
    /// outlives a restart of Sluice.
    static func watchStatus(_ client: AdminClient, route: String?, json: Bool) -> Never {
        let terminal = isatty(1) != 0
        while true {
            print(terminal ? "\u{1B}[H\u{1B}[2J" : "", terminator: "")
            print("sluice ctl status\(route.map { " " + $0 } ?? "") at \(client.url), \(Timestamp.now()) (every 1s; Ctrl-C stops)\n")
            do {
                _ = try showStatus(client, route: route, json: json)
            } catch {
                print("cannot reach the admin API: \(error.message)")
            }
            fflush(nil)
            sleep(1)
        }
    }

    /// The status table: one line per route, then one per pool with its live request rate,
    /// its figures since start (requests, 5xx rate, p50/p95/p99 from the duration
    /// histogram) and its backends (unhealthy ones marked DOWN).
    private static func printStatus(_ routes: [JSONValue]) {
        func column(_ value: JSONValue?, _ width: Int) -> String {
            padded(text(value), to: width)
        }
        let header = [("ROUTE/POOL", 14), ("WEIGHT%", 9), ("REQ/S", 8), ("REQUESTS", 10), ("5XX%", 7), ("P50MS", 8), ("P95MS", 8), ("P99MS", 8)]
        print(header.map { padded($0, to: $1) }.joined() + "BACKENDS")
        for r in routes {
            print("\(text(r["name"], or: "?"))  (stable \(text(r["stable"], or: "?")), rollout \(text(r["rollout"]?["state"])))")
            for pool in ["blue", "green"] {
                let s = r["stats"]?[pool]
                let backends = (r["pools"]?[pool]?["backends"]?.arrayValue ?? [])
                    .compactMap { b in b["address"]?.stringValue.map { $0 + (b["healthy"]?.boolValue == false ? " (DOWN)" : "") } }
                    .joined(separator: ", ")
                let rate = s?["errorRate"]?.numberValue.map { formatFixed($0 * 100, decimals: 2) }
                print(padded("  " + pool, to: 14) + column(r["weights"]?[pool], 9) + column(s?["ratePerSecond"], 8)
                      + column(s?["requests"], 10) + padded(rate ?? "-", to: 7)
                      + column(s?["p50Ms"], 8) + column(s?["p95Ms"], 8) + column(s?["p99Ms"], 8) + backends)
            }
        }
        print("(REQ/S: the last 10 s; REQUESTS, 5XX% and P50-P99: since Sluice started)")
    }
}
