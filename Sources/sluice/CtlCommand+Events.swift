import Control
import Glibc
import Traffic

/// `sluice ctl events`: the audit log as a table, or one JSON object a line with `--json`.
extension CtlCommand {
    /// Prints the events after `--since` (filtered by `--route` and `--type`), page by page,
    /// at most `--limit` of them; with `--follow`, keeps asking once a second until SIGINT or
    /// SIGTERM ends the process.
    static func printEvents(_ client: AdminClient, options: Options, json: Bool) throws -> Int32 {
        var since = 0
        if let text = options.value("since") {
            guard let n = Int(text), n >= 0 else { throw UsageError("--since: '\(text)' is not an event id") }
            since = n
        }
        var left = Int.max
        if let text = options.value("limit") {
            guard let n = Int(text), n >= 1 else { throw UsageError("--limit: '\(text)' is not a positive number") }
            left = n
        }
        var filter = ""
        if let route = options.value("route") { filter += "&route=\(route)" }
        if let type = options.value("type") { filter += "&type=\(type)" }
        let follow = options.flag("follow")
        if !json { print(eventColumns.map { padded($0, to: $1) }.joined() + "WHAT") }
        while true {
            let response = try client.send("GET", "/events?since=\(since)&limit=\(min(left, 1_000))\(filter)")
            var more = false
            let code = finish(response, client, json: false, expect: ["events", "next"]) { body in
                let events = body["events"]?.arrayValue ?? []
                for event in events {
                    print(json ? event.plainText : eventLine(event))
                }
                left -= events.count
                since = body["next"]?.numberValue.flatMap { Int(exactly: $0) } ?? since
                more = body["more"]?.boolValue == true
            }
            fflush(nil) // flush stdout for pipes that follow the log
            if code != 0 || left <= 0 { return code }
            if !more {
                guard follow else { return 0 }
                sleep(1)
            }
        }
    }

    private static let eventColumns = [("ID", 6), ("TIME", 25), ("TYPE", 15), ("ROUTE", 12), ("BY", 10)]

    /// One event as a table line: the columns, then what happened in a few words and why.
    private static func eventLine(_ event: JSONValue) -> String {
        let columns = [event["id"], event["timestamp"], event["type"], event["route"], event["actor"]]
        let line = zip(columns, eventColumns).map { padded(text($0), to: $1.1 - 1) + " " }.joined()
        let what = summary(event)
        let why = event["reason"]?.stringValue.map { "reason: \($0)" } ?? ""
        return line + [what, why].filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// What an event's details say, short: both pools' weights before and after, a rollout's
    /// plan or step, a revert's reason code (the full figures are in `--json`).
    private static func summary(_ event: JSONValue) -> String {
        let d = event["details"] ?? [:]
        switch event["type"]?.stringValue ?? "" {
        case "weights":
            guard let from = d["from"], let to = d["to"] else { return "" }
            return ["blue", "green"].map { "\($0) \(text(from[$0]))% → \(text(to[$0]))%" }.joined(separator: ", ")
        case "rollout":
            let steps = (d["steps"]?.arrayValue ?? []).map { text($0) }.joined(separator: ",")
            return "to \(text(d["to"])), steps \(steps), holds \((d["holds"]?.arrayValue ?? []).map { text($0) }.joined(separator: ","))"
        case "rollout_step":
            if let weight = d["weight"] { return "step \(text(d["step"])) at \(text(weight))%" }
            return "step \(text(d["step"])) hold extended: \(text(d["requests"]))/\(text(d["needed"])) requests"
        case "revert", "abort", "rollback":
            return "\(text(d["target"])) back to 0% (\(text(d["reasonCode"])))"
        case "promote":
            return "\(text(d["stable"])) is now stable"
        case "health":
            return "\(text(d["backend"])) \(d["healthy"]?.boolValue == true ? "healthy" : "unhealthy")"
        case "reload":
            return "routes \((d["routes"]?.arrayValue ?? []).map { text($0) }.joined(separator: ", "))"
        case "reload_refused":
            return "\((d["errors"]?.arrayValue ?? []).count) error(s)"
        case "store":
            return "unreachable since \(text(d["unreachableSince"])) for \(text(d["unreachableFor"]))"
        default:
            return ""
        }
    }
}
