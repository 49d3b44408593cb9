import CLinuxShim
import Control
import Glibc
import Traffic

/// The demo's admin API calls, made as a release tool would make them.
struct DemoAPI {
    let client: AdminClient

    init(port: UInt16, token: String) {
        // The URL is built here from a bound port, so it always parses.
        client = try! AdminClient(url: "http://127.0.0.1:\(port)", token: token)
    }

    /// `POST /routes/demo/rollout` with the canary plan and `hold` for every step.
    func startCanary(hold: String) throws {
        let response = try client.send("POST", "/routes/demo/rollout", body: ["plan": "canary", "holds": .string(hold), "reason": "sluice demo"])
        guard response.status == 200 else {
            throw DemoError("the rollout was refused (\(response.status)): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    /// `GET /routes/demo` (weights, rates, the rollout with the judge's figures).
    func route() -> JSONValue {
        (try? client.send("GET", "/routes/demo"))?.json ?? [:]
    }

    /// `GET /events?since=ID`.
    func events(since id: Int) -> [JSONValue] {
        (try? client.send("GET", "/events?since=\(id)"))?.json?["events"]?.arrayValue ?? []
    }
}

/// The rollout as the demo's scenario follows it.
struct RolloutSnapshot {
    var state = "idle"
    var step = 0
    var reason = ""
    var reasonCode = ""

    var isActive: Bool { state == "running" || state == "paused" }

    init(_ rollout: JSONValue) {
        state = rollout["state"]?.stringValue ?? "idle"
        step = rollout["step"]?.numberValue.flatMap { Int(exactly: $0) } ?? 0
        reason = rollout["reason"]?.stringValue ?? ""
        reasonCode = rollout["reasonCode"]?.stringValue ?? ""
    }
}

/// What the demo shows: a live screen redrawn twice a second (split bar, per-pool rates,
/// error rates and latency over the rollout, the judge's tests, the audit log), or with
/// `headless` plain lines: one status line a second and every event as it comes.
struct DemoView {
    let headless: Bool
    let api: DemoAPI
    let load: DemoLoad
    private let start = ContinuousClock.now
    private var phaseText = ""
    private var eventLines: [String] = []
    private var lastEventID = 0
    private var lastStatusSecond = -1

    init(headless: Bool, api: DemoAPI, load: DemoLoad) {
        self.headless = headless
        self.api = api
        self.load = load
        if !headless { print("\u{1B}[?25l", terminator: "") }
    }

    private var elapsed: Int { Int((ContinuousClock.now - start) / .seconds(1)) }

    mutating func phase(_ text: String) {
        phaseText = text
        if headless { say("== \(text)") }
    }

    /// Shows the live figures until `done` holds for the rollout or `seconds` pass; returns
    /// the rollout as last seen. Throws `DemoInterrupted` when SIGINT, SIGTERM or SIGHUP
    /// comes (the demo blocks them and waits for them here, between two redraws).
    @discardableResult
    mutating func watch(seconds: Int, until done: (RolloutSnapshot) -> Bool = { _ in false }) throws(DemoInterrupted) -> RolloutSnapshot {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let route = api.route()
            for event in api.events(since: lastEventID) {
                lastEventID = max(lastEventID, event["id"]?.numberValue.flatMap { Int(exactly: $0) } ?? 0)
                let why = event["reason"]?.stringValue ?? event["details"]?["message"]?.stringValue ?? ""
                let line = "#\(text(event["id"], or: "?")) \(text(event["type"], or: "?"))" + (why.isEmpty ? "" : ": \(why)")
                eventLines.append(line)
                if headless { say("event \(line)") }
            }
            let rollout = route["rollout"] ?? [:]
            render(route, rollout)
            let snapshot = RolloutSnapshot(rollout)
            if done(snapshot) || ContinuousClock.now >= deadline { return snapshot }
            let signal = shim_wait_signal_for(500)
            if signal != 0 { throw DemoInterrupted(signal: signal) }
        }
    }

    /// The outcome, one line per expectation with a check mark or a cross.
    func verdict(_ lines: [(Bool, String)]) {
        say("")
        for (ok, text) in lines { say((ok ? "✔ " : "✘ ") + text) }
        say(lines.allSatisfy(\.0) ? "demo passed: the judge reverted the regression and promoted the healthy release"
                                  : "demo failed: an outcome was not the expected one")
    }

    /// Gives the terminal its cursor back.
    func finish() {
        if !headless { print("\u{1B}[?25h", terminator: "") }
        fflush(nil)
    }

    private func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    /// A value of an answer as the screen shows it: `placeholder` when absent or null.
    private func text(_ value: JSONValue?, or placeholder: String) -> String {
        guard let value, value != .null else { return placeholder }
        return value.plainText
    }

    private mutating func render(_ route: JSONValue, _ rollout: JSONValue) {
        let green = route["weights"]?["green"]?.numberValue ?? 0
        let tests = rollout["tests"]
        let counts = load.counts
        let state = rollout["state"]?.stringValue ?? "idle"
        var progress = rollout["steps"] == nil ? state
            : "\(state) · step \(text(rollout["step"], or: "?")) of \(rollout["steps"]?.arrayValue?.count ?? 0)"
        if state == "running" || state == "paused" {
            progress += " · hold left \(text(rollout["holdLeft"], or: "-"))"
                + " · \(text(rollout["stepRequests"], or: "0"))/\(text(rollout["minRequests"], or: "0")) green requests in the step"
        }
        func pool(_ name: String) -> String {
            let rate = text(route["stats"]?[name]?["ratePerSecond"], or: "0")
            let p = rollout["pools"]?[name]
            let errors = p?["errorRate"]?.numberValue.map { formatFixed($0 * 100, decimals: 2) + "%" } ?? "-"
            let ms = { (key: String) in p?[key]?.numberValue.map { formatFixed($0, decimals: 1) + " ms" } ?? "-" }
            return pad(name, 7) + pad(rate, 9) + pad(errors, 10) + pad(ms("p50Ms"), 10) + pad(ms("p95Ms"), 10) + ms("p99Ms")
        }
        let verdict = ["errors", "latencyTail", "latencyShift"].compactMap { name -> String? in
            guard let t = tests?[name] else { return nil }
            return pad(name, 13) + "\(text(t["statistic"], or: "0")) / \(text(t["threshold"], or: "0"))  " + (t["needs"]?.stringValue ?? "")
        }
        if headless {
            guard elapsed != lastStatusSecond else { return }
            lastStatusSecond = elapsed
            let errors = tests?["errors"].map { " | errors test \(text($0["statistic"], or: "0"))/\(text($0["threshold"], or: "0"))" } ?? ""
            let seconds = "\(elapsed)"
            say("[" + String(repeating: " ", count: max(0, 3 - seconds.count)) + seconds + "s] green \(format(green))% | \(progress)\(errors) | "
                + "sent \(counts.sent), 5xx \(counts.failed), lost \(counts.lost)")
            return
        }
        let width = 50
        let greenCells = Int((green / 100 * Double(width)).rounded())
        var screen = "\u{1B}[H\u{1B}[2J"
        screen += "Sluice demo — green judged against blue on live traffic          t=\(elapsed)s\n\n"
        screen += "Phase     \(phaseText)\n"
        screen += "Rollout   \(progress)\n\n"
        screen += "Split     blue \u{1B}[34m" + String(repeating: "░", count: width - greenCells) + "\u{1B}[32m"
            + String(repeating: "█", count: greenCells) + "\u{1B}[0m green   \(format(100 - green))% / \(format(green))%\n\n"
        screen += "          " + pad("pool", 7) + pad("req/s", 9) + pad("errors", 10) + pad("p50", 10) + pad("p95", 10) + "p99"
            + "   (req/s: the last 10 s; errors and latency: over the rollout)\n"
        screen += "          " + pool("blue") + "\n          " + pool("green") + "\n\n"
        screen += "Judge     " + (verdict.isEmpty ? "no rollout yet" : verdict.joined(separator: "\n          ")) + "\n\n"
        screen += "Clients   \(counts.sent) answered · \(counts.failed) 5xx · \(counts.lost) lost\n\n"
        screen += "Events\n" + eventLines.suffix(8).map { "  " + $0 }.joined(separator: "\n") + "\n"
        print(screen, terminator: "")
        fflush(nil)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ percent: Double) -> String {
        percent == percent.rounded() ? "\(Int(percent))" : formatFixed(percent, decimals: 2)
    }
}

/// A stop signal arrived during the demo; it ends with 128 + the signal's number, like a
/// process the signal had killed, after the terminal and the temporary files are put back.
struct DemoInterrupted: Error {
    let signal: Int32
}
