import Foundation
import Traffic

/// `sluice ctl`: the release tool's client for the admin API. Exit codes a script can
/// trust: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
enum CtlCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(valued: ["admin", "since", "reason", "to", "plan", "hold", "timeout"], flags: ["json", "follow"],
                                  arguments: arguments)
        if options.flag("help") || options.positional.isEmpty { print(Help.ctl); return options.flag("help") ? 0 : 2 }
        let client = try AdminClient(url: options.value("admin") ?? "http://127.0.0.1:9901",
                                     token: ProcessInfo.processInfo.environment["SLUICE_ADMIN_TOKEN"])
        let json = options.flag("json")
        let args = options.positional
        do {
            switch args[0] {
            case "status":
                guard args.count <= 2 else { throw UsageError("usage: sluice ctl status [ROUTE]") }
                let response = try client.send("GET", args.count == 2 ? "/routes/\(args[1])" : "/routes")
                return finish(response, json: json) { body in
                    let routes = (body["routes"] as? [[String: Any]]) ?? [body]
                    printStatus(routes)
                    if args.count == 2, let rollout = body["rollout"] as? [String: Any], rollout["steps"] != nil {
                        printVerdict(rollout)
                    }
                }
            case "weights":
                guard args.count == 3 else { throw UsageError("usage: sluice ctl weights ROUTE green=PERCENT (or blue=PERCENT)") }
                let parts = args[2].split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, ["blue", "green"].contains(parts[0]), let value = Double(parts[1]) else {
                    throw UsageError("weights: '\(args[2])' is not green=PERCENT or blue=PERCENT")
                }
                var body: [String: Any] = [parts[0]: value]
                if let reason = options.value("reason") { body["reason"] = reason }
                let response = try client.send("PUT", "/routes/\(args[1])/weights", body: body)
                return finish(response, json: json) { body in
                    let weights = body["weights"] as? [String: Any] ?? [:]
                    print("\(args[1]): blue \(weights["blue"] ?? "?")% green \(weights["green"] ?? "?")% (live in every worker)")
                }
            case "reload":
                guard args.count == 1 else { throw UsageError("usage: sluice ctl reload") }
                let response = try client.send("POST", "/reload")
                return finish(response, json: json) { body in
                    print("reloaded: \((body["routes"] as? [String] ?? []).joined(separator: ", "))")
                }
            case "events":
                guard args.count == 1 else { throw UsageError("usage: sluice ctl events [--since ID] [--follow]") }
                var since = 0
                if let text = options.value("since") {
                    guard let n = Int(text), n >= 0 else { throw UsageError("--since: '\(text)' is not an event id") }
                    since = n
                }
                return try followEvents(client, since: since, follow: options.flag("follow"), json: json)
            case "rollout":
                guard args.count == 2 else {
                    throw UsageError("usage: sluice ctl rollout ROUTE --plan canary|bluegreen|5,25,50,100 [--to green] [--hold 30s,1m,2m]")
                }
                return try startRollout(client, route: args[1], options: options, json: json)
            case "pause", "resume", "promote", "abort", "rollback":
                guard args.count == 2 else { throw UsageError("usage: sluice ctl \(args[0]) ROUTE [--reason TEXT]") }
                let path = args[0] == "rollback" ? "/routes/\(args[1])/rollback" : "/routes/\(args[1])/rollout/\(args[0])"
                let body: [String: Any]? = options.value("reason").map { ["reason": $0] }
                let response = try client.send("POST", path, body: body)
                return finish(response, json: json) { printRolloutLine(args[1], $0) }
            case "wait":
                guard args.count == 2 else { throw UsageError("usage: sluice ctl wait ROUTE [--timeout DURATION]") }
                return try waitForRollout(client, route: args[1], timeout: options.value("timeout"), json: json)
            default:
                throw UsageError("unknown ctl command '\(args[0])'")
            }
        } catch let failure as AdminClient.Failure {
            FileHandle.standardError.write(Data("sluice ctl: \(failure.message)\n".utf8))
            return 1
        } catch let usage as UsageError {
            throw usage
        } catch {
            FileHandle.standardError.write(Data("sluice ctl: \(error)\n".utf8))
            return 1
        }
    }

    /// Prints the audit log from `since` on, one event a line; with `follow`, keeps asking
    /// once a second until interrupted.
    private static func followEvents(_ client: AdminClient, since start: Int, follow: Bool, json: Bool) throws(AdminClient.Failure) -> Int32 {
        var since = start
        while true {
            let response = try client.send("GET", "/events?since=\(since)&limit=1000")
            let code = finish(response, json: false) { body in
                for event in body["events"] as? [[String: Any]] ?? [] {
                    if json {
                        let data = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
                        print(String(decoding: data, as: UTF8.self))
                    } else {
                        let details = (try? JSONSerialization.data(withJSONObject: event["details"] ?? [:], options: [.sortedKeys]))
                            .map { String(decoding: $0, as: UTF8.self) } ?? ""
                        let fields: [Any?] = [event["id"], event["timestamp"], event["type"], event["route"] ?? "-",
                                              event["actor"], event["reason"] ?? "-"]
                        print(fields.map { "\($0 ?? "-")" }.joined(separator: "  ") + "  " + details)
                    }
                    since = max(since, event["id"] as? Int ?? since)
                }
            }
            fflush(nil) // flush stdout for pipes that follow the log
            if code != 0 || !follow { return code }
            sleep(1)
        }
    }

    /// Prints the answer (raw JSON with `--json`, else through `render`) and maps the
    /// status to the exit code: 2xx → 0, anything else → 1 with the server's reason.
    static func finish(_ response: AdminClient.Response, json: Bool, render: ([String: Any]) -> Void) -> Int32 {
        let body = response.json as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status) else {
            let reason = body["error"] as? String ?? String(decoding: response.body, as: UTF8.self)
            FileHandle.standardError.write(Data("sluice ctl: refused (\(response.status)): \(reason)\n".utf8))
            if let detail = body["detail"] as? [String] {
                for line in detail { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
            }
            return 1
        }
        if json {
            print(String(decoding: response.body, as: UTF8.self), terminator: "")
        } else {
            render(body)
        }
        return 0
    }

    /// The status table: one line per route, then one per pool with its live request rate,
    /// its figures since start (requests, 5xx rate, p50/p95/p99 from the duration
    /// histogram) and its backends (unhealthy ones marked DOWN).
    private static func printStatus(_ routes: [[String: Any]]) {
        func column(_ value: Any?, _ width: Int) -> String {
            let text = value.map { "\($0)" } ?? "-"
            return (text == "<null>" ? "-" : text).padding(toLength: width, withPad: " ", startingAt: 0)
        }
        print(column("ROUTE/POOL", 14) + column("WEIGHT%", 9) + column("REQ/S", 8) + column("REQUESTS", 10) + column("5XX%", 7)
              + column("P50MS", 8) + column("P95MS", 8) + column("P99MS", 8) + "BACKENDS")
        for r in routes {
            let weights = r["weights"] as? [String: Any] ?? [:]
            let pools = r["pools"] as? [String: Any] ?? [:]
            let stats = r["stats"] as? [String: Any] ?? [:]
            let rollout = (r["rollout"] as? [String: Any])?["state"] ?? "-"
            print("\(r["name"] ?? "?")  (stable \(r["stable"] ?? "?"), rollout \(rollout))")
            for pool in ["blue", "green"] {
                let s = stats[pool] as? [String: Any] ?? [:]
                let backends = ((pools[pool] as? [String: Any])?["backends"] as? [[String: Any]] ?? [])
                    .compactMap { b in (b["address"] as? String).map { $0 + ((b["healthy"] as? Bool) == false ? " (DOWN)" : "") } }
                    .joined(separator: ", ")
                let rate = (s["errorRate"] as? Double).map { String(format: "%.2f", $0 * 100) }
                print(column("  " + pool, 14) + column(weights[pool], 9) + column(s["ratePerSecond"], 8)
                      + column(s["requests"], 10) + column(rate, 7)
                      + column(s["p50Ms"], 8) + column(s["p95Ms"], 8) + column(s["p99Ms"], 8) + backends)
            }
        }
    }
}
