import Control
import ProxyIO
import Traffic

/// `sluice ctl history ROUTE`: the route's past rollouts from the audit log.
extension CtlCommand {
    /// One rollout as the audit log tells it: its start event and the event that ended it.
    struct PastRollout {
        var start: JSONValue
        var end: JSONValue?
        var rolledBack = false
    }

    /// Prints one line per rollout of `route`, oldest first: when it started, the target,
    /// the outcome (promoted, reverted, aborted, running or paused; "rolled back" after a
    /// promotion undone), how long it ran, its steps, who started it and why it ended.
    static func printHistory(_ client: AdminClient, route: String, json: Bool) throws -> Int32 {
        var events: [JSONValue] = []
        var since = 0
        while true {
            let response = try client.send("GET", "/events?since=\(since)&limit=1000&route=\(route)")
            var more = false
            let code = finish(response, client, json: false, expect: ["events", "next"]) { body in
                events += body["events"]?.arrayValue ?? []
                since = body["next"]?.numberValue.flatMap { Int(exactly: $0) } ?? since
                more = body["more"]?.boolValue == true
            }
            if code != 0 { return code }
            if !more { break }
        }
        let rollouts = pastRollouts(events)
        if json {
            for r in rollouts {
                print(JSONValue.object(["start": r.start, "end": r.end ?? .null, "rolledBack": .bool(r.rolledBack)]).plainText)
            }
            return 0
        }
        let columns = [("STARTED", 25), ("TO", 7), ("OUTCOME", 22), ("DURATION", 10), ("STEPS", 14), ("BY", 10)]
        print(columns.map { padded($0, to: $1) }.joined() + "REASON")
        for r in rollouts {
            let outcome = r.end.map { outcomeText($0) } ?? "running"
            let end = r.end?["timestamp"]?.stringValue ?? Timestamp.now()
            let duration = both(epochMs(text(r.start["timestamp"])), epochMs(end)).map { formatDuration(ms: max(0, $1 - $0) / 1_000 * 1_000) }
            let steps = (r.start["details"]?["steps"]?.arrayValue ?? []).map { text($0) }.joined(separator: ",")
            let why = [r.start["reason"]?.stringValue, r.end?["reason"]?.stringValue].compactMap { $0 }.joined(separator: " → ")
            let cells = [text(r.start["timestamp"]), text(r.start["details"]?["to"]), outcome + (r.rolledBack ? ", rolled back" : ""),
                         duration ?? "?", steps, text(r.start["actor"])]
            print(zip(cells, columns).map { padded($0, to: $1.1 - 1) + " " }.joined() + why)
        }
        if rollouts.isEmpty { print("(no rollout of \(route) in the audit log)") }
        return 0
    }

    /// Pairs each `rollout` event with the promote, revert or abort after it.
    static func pastRollouts(_ events: [JSONValue]) -> [PastRollout] {
        var rollouts: [PastRollout] = []
        for event in events {
            switch event["type"]?.stringValue ?? "" {
            case "rollout":
                rollouts.append(PastRollout(start: event))
            case "promote", "revert", "abort":
                if let last = rollouts.indices.last, rollouts[last].end == nil { rollouts[last].end = event }
            case "rollback":
                if let last = rollouts.indices.last { rollouts[last].rolledBack = true }
            default:
                break
            }
        }
        return rollouts
    }

    /// `promoted`, `reverted (regression:errors)`, `aborted`.
    private static func outcomeText(_ end: JSONValue) -> String {
        switch end["type"]?.stringValue ?? "" {
        case "promote": "promoted"
        case "revert": "reverted (\(text(end["details"]?["reasonCode"])))"
        default: "aborted"
        }
    }

    /// Milliseconds since the epoch of an RFC 3339 UTC time as the audit log writes it
    /// (`2026-11-22T13:16:31.123Z`); nil for any other text.
    static func epochMs(_ text: String) -> Int? {
        let digits = Array(text.utf8)
        guard digits.count >= 23 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var n = 0
            for b in digits[from..<(from + count)] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                n = n * 10 + Int(b - 0x30)
            }
            return n
        }
        guard let y = number(0, 4), let m = number(5, 2), let d = number(8, 2), let h = number(11, 2),
              let min = number(14, 2), let s = number(17, 2), let ms = number(20, 3) else { return nil }
        // days from civil (H. Hinnant), as Timestamp's inverse
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 86_400 + h * 3_600 + min * 60 + s) * 1_000) + ms
    }
}

/// Both values when both are there.
private func both<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
