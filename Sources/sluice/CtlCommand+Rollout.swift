import Control
import Glibc
import Traffic

/// `sluice ctl rollout|wait` and the rollout part of `status`.
extension CtlCommand {
    /// `rollout ROUTE --plan P [--to POOL] [--hold H,...] [--min-requests N] [--analysis JSON]
    /// [--reason TEXT] [--dry-run]`: starts a rollout, or with `--dry-run` says what it would
    /// do (exit 1 when it would be refused). A plan or pool that cannot be valid is a usage
    /// error (2) before anything is asked; the server judges the rest (1 when it refuses).
    static func startRollout(_ client: AdminClient, route: String, options: Options, json: Bool) throws -> Int32 {
        guard let planText = options.value("plan") else { throw UsageError("rollout: --plan is required (canary, bluegreen or 5,25,50,100)") }
        var body: [String: JSONValue] = [:]
        if planText == "canary" || planText == "bluegreen" {
            body["plan"] = .string(planText)
        } else {
            let steps = planText.split(separator: ",").map { Double($0.trimmingWhitespace()) }
            guard !steps.isEmpty, steps.allSatisfy({ $0.map { (0...100).contains($0) } ?? false }) else {
                throw UsageError("--plan: '\(planText)' is not canary, bluegreen or a list of percentages like 5,25,50,100")
            }
            body["plan"] = .array(steps.compactMap { $0.map(JSONValue.number) })
        }
        if let holds = options.value("hold") {
            let each = holds.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace()) }
            guard each.allSatisfy({ parseDuration($0).map { $0 > 0 } ?? false }) else {
                throw UsageError("--hold: '\(holds)' is not a duration like 30s, or a list like 30s,1m,2m")
            }
            body["holds"] = .array(each.map(JSONValue.string))
        }
        if let to = options.value("to") {
            guard to == "blue" || to == "green" else { throw UsageError("--to: '\(to)' is not blue or green") }
            body["to"] = .string(to)
        }
        var analysis: [String: JSONValue] = [:]
        if let text = options.value("analysis") {
            guard case .object(let object)? = try? JSONValue(parsing: Array(text.utf8)) else {
                throw UsageError("--analysis: '\(text)' is not a JSON object such as {\"minRequests\": 500}")
            }
            analysis = object
        }
        if let text = options.value("min-requests") {
            guard let n = Int(text), n >= 0 else { throw UsageError("--min-requests: '\(text)' is not a number of requests") }
            analysis["minRequests"] = .number(Double(n))
        }
        if !analysis.isEmpty { body["analysis"] = .object(analysis) }
        if let reason = options.value("reason") { body["reason"] = .string(reason) }
        if options.flag("dry-run") {
            body["dryRun"] = true
            let response = try client.send("POST", "/routes/\(route)/rollout", body: .object(body))
            var refused = false
            let code = finish(response, client, json: json, expect: ["dryRun", "wouldStart"]) { answer in
                refused = answer["wouldStart"]?.boolValue != true
                printDryRun(route, answer)
            }
            return code == 0 && refused ? 1 : code
        }
        let response = try client.send("POST", "/routes/\(route)/rollout", body: .object(body))
        return finish(response, client, json: json, expect: ["state"]) { printRolloutLine(route, $0) }
    }

    /// What `rollout --dry-run` learnt: the plan, holds and analysis in force, and the
    /// refusal the start would meet.
    private static func printDryRun(_ route: String, _ answer: JSONValue) {
        let list = { (key: String, unit: String) in (answer[key]?.arrayValue ?? []).map { text($0) + unit }.joined(separator: ", ") }
        print("dry run: \(route) would roll out \(text(answer["to"])) (stable \(text(answer["stable"]))) over \(list("steps", "%"))"
              + " with holds \(list("holds", ""))")
        let a = answer["analysis"]
        print("  analysis: minRequests \(text(a?["minRequests"])) per step; errors: +\(text(a?["errorRate"]?["maxIncrease"]))"
              + " and ×\(text(a?["errorRate"]?["maxRatio"])) of stable's rate; latency: quantile \(text(a?["latency"]?["quantile"])),"
              + " +\(text(a?["latency"]?["maxIncrease"])), slow share ×\(text(a?["latency"]?["maxRatio"]))")
        if let refused = answer["refused"]?.stringValue {
            print("  would be refused: \(refused)")
        } else {
            print("  would start now; nothing was changed")
        }
    }

    /// `wait ROUTE [--timeout D]`: polls the rollout once a second, printing each change of
    /// state or step, until it ends. Exit 0 when promoted, 3 when reverted or aborted, 1 on
    /// a timeout, an error, or when no rollout has run.
    static func waitForRollout(_ client: AdminClient, route: String, timeout: String?, json: Bool) throws -> Int32 {
        var deadline: ContinuousClock.Instant?
        if let timeout {
            guard let ms = parseDuration(timeout), ms > 0 else { throw UsageError("--timeout: '\(timeout)' is not a duration like 10m") }
            deadline = .now + .milliseconds(ms)
        }
        var last = ""
        while true {
            let response = try client.send("GET", "/routes/\(route)/rollout")
            var state = ""
            let code = finish(response, client, json: false, expect: ["state"]) { body in
                state = body["state"]?.stringValue ?? ""
                let line = "\(state) \(text(body["step"], or: "")) \(text(body["holdExtended"], or: ""))"
                if line != last {
                    last = line
                    if json {
                        print(String(decoding: response.body, as: UTF8.self), terminator: "")
                    } else {
                        printRolloutLine(route, body)
                    }
                }
            }
            fflush(nil)
            guard code == 0 else { return code }
            switch state {
            case "promoted": return 0
            case "reverted", "aborted": return 3
            case "idle":
                printError("sluice ctl: no rollout has run on \(route)\n")
                return 1
            default:
                if let deadline, .now >= deadline {
                    printError("sluice ctl: timed out; the rollout is still \(state)\n")
                    return 1
                }
                sleep(1)
            }
        }
    }

    /// One line about a rollout: state, step and weight, hold left, and the reason if it ended.
    static func printRolloutLine(_ route: String, _ body: JSONValue) {
        let rollout = body["steps"] == nil ? body["rollout"] ?? body : body
        guard let steps = rollout["steps"]?.arrayValue else {
            print("\(route): \(text(rollout["state"], or: "idle"))")
            return
        }
        var line = "\(route): \(text(rollout["state"], or: "?")) — \(text(rollout["to"], or: "?")) at \(text(rollout["weight"], or: "?"))%"
            + " (step \(text(rollout["step"], or: "?")) of \(steps.count))"
        if let state = rollout["state"]?.stringValue, state == "running" || state == "paused" {
            line += ", hold left \(text(rollout["holdLeft"], or: "?")), \(text(rollout["stepRequests"], or: "0"))/\(text(rollout["minRequests"], or: "0")) requests"
            if state == "running" && rollout["holdExtended"]?.boolValue == true { line += " (hold extended: too few requests)" }
        }
        if let reason = rollout["reason"]?.stringValue { line += ": \(reason)" }
        if rollout["stateSaved"]?.boolValue == false {
            line += "\n  NOT SAVED for \(text(rollout["stateUnsavedFor"], or: "?")) (retrying every second): \(text(rollout["stateError"], or: "?"))"
        }
        print(line)
    }

    /// The running verdict under `status ROUTE`: both pools' figures over the rollout and each
    /// test's statistic against its threshold.
    static func printVerdict(_ rollout: JSONValue) {
        printRolloutLine("rollout", rollout)
        print("  over this rollout (judged \(text(rollout["judgedSeconds"]))s); slow means over \(text(rollout["slowFromMs"])) ms")
        for name in [text(rollout["to"]), text(rollout["to"]) == "green" ? "blue" : "green"] {
            let p = rollout["pools"]?[name]
            let rate = p?["errorRate"]?.numberValue.map { formatFixed($0 * 100, decimals: 2) + "%" } ?? "-"
            print("  \(padded(name, to: 6)) requests \(text(p?["requests"])), errors \(rate),"
                  + " p50 \(text(p?["p50Ms"])) ms, p95 \(text(p?["p95Ms"])) ms, p99 \(text(p?["p99Ms"])) ms")
        }
        for name in ["errors", "latencyTail", "latencyShift"] {
            guard let t = rollout["tests"]?[name] else { continue }
            print("  test \(padded(name, to: 13)) statistic \(text(t["statistic"])) / \(text(t["threshold"])) — \(text(t["needs"]))")
        }
    }
}
