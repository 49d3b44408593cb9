import Control
import Glibc
import ProxyIO
import Traffic

/// `sluice demo`: the newcomer's first run, needing nothing but the binary. Starts an
/// in-process blue and green backend, the proxy (a real `Instance`, with its admin API on an
/// ephemeral loopback port) and a load generator; runs a canary with short holds, injects a
/// regression into green during the second step and lets the judge revert it; then runs a
/// clean canary that promotes. Everything goes through the admin API, as a release tool would.
/// Exit 0 when the first rollout was reverted for a regression, the second promoted, and no
/// request was lost.
enum DemoCommand {
    static let names = OptionNames(valued: ["rate", "hold", "workers"], flags: ["headless"])

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(names, arguments: arguments)
        if options.flag("help") { print(Help.demo); return 0 }
        guard options.positional.isEmpty else { throw UsageError("unexpected argument '\(options.positional[0])'") }
        let rate = try number(options, "rate", default: 200, in: 20...5_000)
        let workers = try number(options, "workers", default: 2, in: 1...16)
        let holdText = options.value("hold") ?? "4s"
        guard let holdMs = parseDuration(holdText), holdMs >= 1_000, holdMs <= 60_000 else {
            throw UsageError("--hold: '\(holdText)' is not a duration from 1s to 1m")
        }
        EventLog.silence()
        // Without a terminal (a pipe, a CI log) the live view's escape codes would be noise.
        let headless = options.flag("headless") || isatty(1) == 0
        do {
            return try Demo(rate: rate, workers: workers, hold: formatDuration(ms: holdMs), headless: headless).run()
        } catch let interrupted as DemoInterrupted {
            printError("sluice demo: stopped by signal \(interrupted.signal)\n")
            return 128 + interrupted.signal
        } catch {
            printError("sluice demo: \(error)\n")
            return 1
        }
    }

    private static func number(_ options: Options, _ name: String, default value: Int, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text = options.value(name) else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw UsageError("--\(name): '\(text)' is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
}

/// One run of the demo's scenario.
private struct Demo {
    let rate: Int
    let workers: Int
    let hold: String
    let headless: Bool

    func run() throws -> Int32 {
        let directory = FileSystem.path(FileSystem.temporaryDirectory, "sluice-demo-\(getpid())")
        FileSystem.removeTree(directory)  // left by an earlier demo that had this pid
        try FileSystem.makeDirectory(directory, mode: 0o700)
        defer { FileSystem.removeTree(directory) }
        let blue = try DemoBackend(pool: "blue")
        let green = try DemoBackend(pool: "green")
        let instance = try startProxy(directory: directory, blue: blue, green: green)
        defer { instance.proxy.stop(drainMs: 1_000) }
        let api = DemoAPI(port: instance.proxy.admin.port, token: instance.token)
        let load = DemoLoad(port: instance.port, rate: rate)
        defer { load.stop() }
        var view = DemoView(headless: headless, api: api, load: load)
        defer { view.finish() }

        view.phase("warming up: blue serves everything, the judge learns blue's latency")
        try view.watch(seconds: 3)

        view.phase("rollout 1: canary of green (5% → 25% → 50% → 100%, holds of \(hold))")
        try api.startCanary(hold: hold)
        _ = try view.watch(seconds: 120) { $0.step >= 2 || !$0.isActive }
        view.phase("injecting a regression into green: 10% of its answers are now 500s")
        green.inject(errorRate: 0.10)
        let first = try view.watch(seconds: 120) { !$0.isActive }

        view.phase("fixing green; waiting for the next release")
        green.inject(errorRate: 0)
        try view.watch(seconds: 3)
        view.phase("rollout 2: the same canary with a healthy green")
        try api.startCanary(hold: hold)
        let second = try view.watch(seconds: 180) { !$0.isActive }
        try view.watch(seconds: 2)
        load.stop()

        let lost = load.counts.lost
        let reverted = first.state == "reverted" && first.reasonCode.hasPrefix("regression")
        let promoted = second.state == "promoted"
        view.verdict([
            (reverted, "rollout 1: green \(first.state)" + (first.reason.isEmpty ? "" : " — \(first.reason)")),
            (promoted, "rollout 2: green \(second.state)" + (promoted ? ", now the stable pool" : "")),
            (lost == 0, "\(load.counts.sent) requests answered, \(lost) lost"),
        ])
        return reverted && promoted && lost == 0 ? 0 : 1
    }

    /// Writes the demo's route file, starts Sluice on an ephemeral loopback port without an
    /// access log, and returns it with its port and admin token.
    private func startProxy(directory: String, blue: DemoBackend, green: DemoBackend) throws
        -> (proxy: Instance, port: UInt16, token: String) {
        let routes = directory + "/routes"
        try FileSystem.makeDirectory(routes, mode: 0o755)
        let route = """
            {"name": "demo", "pools": {"blue": {"backends": ["127.0.0.1:\(blue.port)"]},
                                        "green": {"backends": ["127.0.0.1:\(green.port)"]}},
             "stable": "blue", "weights": {"green": 0},
             "health": {"path": "/health", "interval": "1s", "timeout": "500ms"},
             "analysis": {"minRequests": \(max(20, rate / 5))}}
            """
        try FileSystem.write(routes + "/demo.json", Array(route.utf8))
        let table: RouteTable
        switch RouteLoader.load(directory: routes) {
        case .success(let loaded): table = loaded
        case .failure(let failure): throw DemoError("the demo's route file is invalid: \(failure)")
        }
        let loopback = IPAddress(parsing: "127.0.0.1")!
        var settings = ServerSettings()
        settings.accessLog = nil
        let token = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        let configuration = Instance.Configuration(
            routesDirectory: routes, routes: table, listen: SocketAddress(ip: loopback, port: 0),
            listenText: "127.0.0.1:0", workers: workers, settings: settings, admin: SocketAddress(ip: loopback, port: 0),
            adminText: "127.0.0.1:0", token: AdminToken(name: "demo", secret: token), stateDirectory: directory + "/state",
            resetState: true)
        guard let instance = Instance.start(configuration) else { throw DemoError("the proxy did not start") }
        return (instance, instance.server.port, token)
    }
}
