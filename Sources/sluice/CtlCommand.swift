import Control
import Glibc
import Traffic

/// `sluice ctl`: the release tool's client for the admin API. Exit codes a script can
/// trust: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
enum CtlCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(valued: ["admin", "since", "reason", "to", "plan", "hold", "timeout"], flags: ["json", "follow"],
                                  arguments: arguments)
        if options.flag("help") || options.positional.isEmpty { print(Help.ctl); return options.flag("help") ? 0 : 2 }
        let client = try AdminClient(url: options.value("admin") ?? "http://127.0.0.1:9901",
                                     token: Options.environment("SLUICE_ADMIN_TOKEN"))
        let json = options.flag("json")
        let args = options.positional
        do {
            switch args[0] {
            case "status":
                guard args.count <= 2 else { throw UsageError("usage: sluice ctl status [ROUTE]") }
                let response = try client.send("GET", args.count == 2 ? "/routes/\(args[1])" : "/routes")
                return finish(response, json: json) { body in
                    printStatus(body["routes"]?.arrayValue ?? [body])
                    if args.count == 2, let rollout = body["rollout"], rollout["steps"] != nil {
                        printVerdict(rollout)
                    }
                }
            case "weights":
                guard args.count == 3 else { throw UsageError("usage: sluice ctl weights ROUTE green=PERCENT (or blue=PERCENT)") }
                let parts = args[2].split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, ["blue", "green"].contains(parts[0]), let value = Double(parts[1]) else {
                    throw UsageError("weights: '\(args[2])' is not green=PERCENT or blue=PERCENT")
                }
                var body: [String: JSONValue] = [parts[0]: .number(value)]
                if let reason = options.value("reason") { body["reason"] = .string(reason) }
                let response = try client.send("PUT", "/routes/\(args[1])/weights", body: .object(body))
                return finish(response, json: json) { body in
                    let weights = body["weights"]
                    print("\(args[1]): blue \(text(weights?["blue"], or: "?"))% green \(text(weights?["green"], or: "?"))% (live in every worker)")
                }
            case "reload":
                guard args.count == 1 else { throw UsageError("usage: sluice ctl reload") }
                let response = try client.send("POST", "/reload")
                return finish(response, json: json) { body in
                    print("reloaded: \((body["routes"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))")
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
                let body: JSONValue? = options.value("reason").map { ["reason": .string($0)] }
                let response = try client.send("POST", path, body: body)
                return finish(response, json: json) { printRolloutLine(args[1], $0) }
            case "wait":
                guard args.count == 2 else { throw UsageError("usage: sluice ctl wait ROUTE [--timeout DURATION]") }
                return try waitForRollout(client, route: args[1], timeout: options.value("timeout"), json: json)
            default:
                throw UsageError("unknown ctl command '\(args[0])'")
            }
        } catch let failure as AdminClient.Failure {
            printError("sluice ctl: \(failure.message)\n")
            return 1
        } catch let usage as UsageError {
            throw usage
        } catch {
            printError("sluice ctl: \(error)\n")
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
                for event in body["events"]?.arrayValue ?? [] {
                    if json {
                        print(event.plainText)
                    } else {
                        let fields = [event["id"], event["timestamp"], event["type"], event["route"], event["actor"], event["reason"]]
                        print(fields.map { text($0) }.joined(separator: "  ") + "  " + (event["details"] ?? [:]).plainText)
                    }
                    since = max(since, event["id"]?.numberValue.flatMap { Int(exactly: $0) } ?? since)
                }
            }
            fflush(nil) // flush stdout for pipes that follow the log
            if code != 0 || !follow { return code }
            sleep(1)
        }
    }

    /// Prints the answer (raw JSON with `--json`, else through `render`) and maps the
    /// status to the exit code: 2xx → 0, anything else → 1 with the server's reason.
    static func finish(_ response: AdminClient.Response, json: Bool, render: (JSONValue) -> Void) -> Int32 {
        let body = JSONValue.object(response.json?.objectValue ?? [:])
        guard (200..<300).contains(response.status) else {
            let reason = body["error"]?.stringValue ?? String(decoding: response.body, as: UTF8.self)
            printError("sluice ctl: refused (\(response.status)): \(reason)\n")
            for line in body["detail"]?.arrayValue ?? [] {
                if let line = line.stringValue { printError("  \(line)\n") }
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
    }

    /// A value of an answer as the tables and lines show it: `placeholder` when it is absent
    /// or null, else its plain text (strings without quotes, numbers as JSON writes them).
    static func text(_ value: JSONValue?, or placeholder: String = "-") -> String {
        guard let value, value != .null else { return placeholder }
        return value.plainText
    }

    /// `text` cut or padded with spaces to exactly `width` characters: a table column.
    static func padded(_ text: String, to width: Int) -> String {
        String(text.prefix(width)) + String(repeating: " ", count: max(0, width - text.count))
    }
}
