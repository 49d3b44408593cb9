import Foundation
import Traffic

/// `sluice ctl rollout|wait` and the rollout part of `status`.
extension CtlCommand {
    /// `rollout ROUTE --plan P [--to POOL] [--hold H,...] [--reason TEXT]`: starts a rollout.
    static func startRollout(_ client: AdminClient, route: String, options: Options, json: Bool) throws -> Int32 {
        guard let planText = options.value("plan") else { throw UsageError("rollout: --plan is required (canary, bluegreen or 5,25,50,100)") }
        var body: [String: Any] = [:]
        if planText == "canary" || planText == "bluegreen" {
            body["plan"] = planText
        } else {
            let steps = planText.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !steps.isEmpty, steps.allSatisfy({ $0 != nil }) else {
                throw UsageError("--plan: '\(planText)' is not canary, bluegreen or a list of percentages like 5,25,50,100")
            }
            body["plan"] = steps.compactMap { $0 }
        }
        if let holds = options.value("hold") {
            let list = holds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            body["holds"] = list
        }
        if let to = options.value("to") { body["to"] = to }
        if let reason = options.value("reason") { body["reason"] = reason }
        let response = try client.send("POST", "/routes/\(route)/rollout", body: body)
        return finish(response, json: json) { printRolloutLine(route, $0) }
    }

    /// `wait ROUTE [--timeout D]`: polls the rollout once a second, printing each change of
    /// state or step, until it ends. Exit 0 when promoted, 3 when reverted or aborted, 1 on
    /// a timeout, an error, or when no rollout has run.
    static func waitForRollout(_ client: AdminClient, route: String, timeout: String?, json: Bool) throws -> Int32 {
        var deadline: Date?
        if let timeout {
            guard let ms = parseDuration(timeout), ms > 0 else { throw UsageError("--timeout: '\(timeout)' is not a duration like 10m") }
            deadline = Date().addingTimeInterval(Double(ms) / 1000)
        }
        var last = ""
        while true {
            let response = try client.send("GET", "/routes/\(route)/rollout")
            var state = ""
            let code = finish(response, json: false) { body in
                state = body["state"] as? String ?? ""
                let line = "\(state) \(body["step"] ?? "") \(body["holdExtended"] ?? "")"
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
                FileHandle.standardError.write(Data("sluice ctl: no rollout has run on \(route)\n".utf8))
                return 1
            default:
                if let deadline, Date() >= deadline {
                    FileHandle.standardError.write(Data("sluice ctl: timed out; the rollout is still \(state)\n".utf8))
                    return 1
                }
                sleep(1)
            }
        }
    }

    /// One line about a rollout: state, step and weight, hold left, and the reason if it ended.
    static func printRolloutLine(_ route: String, _ body: [String: Any]) {
        let rollout = body["steps"] == nil ? body["rollout"] as? [String: Any] ?? body : body
        guard let steps = rollout["steps"] as? [Any] else {
            print("\(route): \(rollout["state"] ?? "idle")")
            return
        }
        var line = "\(route): \(rollout["state"] ?? "?") — \(rollout["to"] ?? "?") at \(rollout["weight"] ?? "?")%"
            + " (step \(rollout["step"] ?? "?") of \(steps.count))"
        if let state = rollout["state"] as? String, state == "running" || state == "paused" {
            line += ", hold left \(rollout["holdLeft"] ?? "?"), \(rollout["stepRequests"] ?? 0)/\(rollout["minRequests"] ?? 0) requests"
            if rollout["holdExtended"] as? Bool == true { line += " (hold extended: too few requests)" }
        }
        if let reason = rollout["reason"] as? String { line += ": \(reason)" }
        print(line)
    }

    /// The running verdict under `status ROUTE`: both pools' figures over the rollout and each
    /// test's statistic against its threshold.
    static func printVerdict(_ rollout: [String: Any]) {
        printRolloutLine("rollout", rollout)
        let pools = rollout["pools"] as? [String: [String: Any]] ?? [:]
        func text(_ value: Any?) -> String {
            guard let value, !(value is NSNull) else { return "-" }
            return "\(value)"
        }
        print("  judged \(text(rollout["judgedSeconds"]))s; slow means over \(text(rollout["slowFromMs"])) ms")
        for name in [text(rollout["to"]), text(rollout["to"]) == "green" ? "blue" : "green"] {
            let p = pools[name] ?? [:]
            let rate = (p["errorRate"] as? Double).map { String(format: "%.2f%%", $0 * 100) } ?? "-"
            print("  \(name.padding(toLength: 6, withPad: " ", startingAt: 0)) requests \(text(p["requests"])), errors \(rate),"
                  + " p50 \(text(p["p50Ms"])) ms, p95 \(text(p["p95Ms"])) ms, p99 \(text(p["p99Ms"])) ms")
        }
        let tests = rollout["tests"] as? [String: [String: Any]] ?? [:]
        for name in ["errors", "latencyTail", "latencyShift"] {
            guard let t = tests[name] else { continue }
            print("  test \(name.padding(toLength: 13, withPad: " ", startingAt: 0)) statistic \(text(t["statistic"])) / \(text(t["threshold"]))"
                  + " — \(text(t["needs"]))")
        }
    }
}
