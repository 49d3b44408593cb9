import CLinuxShim
import Control
import Foundation
import ProxyIO
import Traffic

/// `sluice serve`: loads the routes, starts the workers, then waits for signals on the
/// main thread (SIGHUP reloads; SIGTERM/SIGINT drain and exit 0).
enum ServeCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(valued: ["routes", "listen", "workers", "drain", "header-timeout", "body-timeout",
                                           "idle-timeout", "max-connections", "max-backend-connections", "admin",
                                           "admin-token-file", "state"], flags: ["reset-state"], arguments: arguments)
        if options.flag("help") { print(Help.serve); return 0 }
        guard options.positional.isEmpty else { throw UsageError("unexpected argument '\(options.positional[0])'") }
        let routesDirectory = options.value("routes") ?? "routes"
        let listenText = options.value("listen") ?? "0.0.0.0:8080"
        guard let listen = parseListenAddress(listenText) else {
            throw UsageError("--listen: '\(listenText)' is not HOST:PORT with an IP address")
        }
        var workers = usableCPUCount()
        if let text = options.value("workers") {
            guard let n = Int(text), n >= 1, n <= 256 else { throw UsageError("--workers: '\(text)' is not a number from 1 to 256") }
            workers = n
        }
        var settings = ServerSettings()
        settings.drainTimeoutMs = try duration(options, "drain") ?? settings.drainTimeoutMs
        settings.clientHeaderTimeoutMs = try duration(options, "header-timeout") ?? settings.clientHeaderTimeoutMs
        settings.clientBodyTimeoutMs = try duration(options, "body-timeout") ?? settings.clientBodyTimeoutMs
        settings.clientIdleTimeoutMs = try duration(options, "idle-timeout") ?? settings.clientIdleTimeoutMs
        if let text = options.value("max-connections") {
            guard let n = Int(text), n >= 1 else { throw UsageError("--max-connections: '\(text)' is not a positive number") }
            settings.maxConnectionsPerWorker = max(1, (n + workers - 1) / workers)
        }
        if let text = options.value("max-backend-connections") {
            guard let n = Int(text), n >= 1 else { throw UsageError("--max-backend-connections: '\(text)' is not a positive number") }
            settings.maxConnectionsPerBackend = max(1, (n + workers - 1) / workers)
        }
        let adminText = options.value("admin") ?? "127.0.0.1:9901"
        guard let adminAddress = parseListenAddress(adminText) else {
            throw UsageError("--admin: '\(adminText)' is not HOST:PORT with an IP address")
        }
        let token: AdminToken?
        do {
            token = try AdminToken.load(environment: ProcessInfo.processInfo.environment, tokenFile: options.value("admin-token-file"))
        } catch {
            EventLog.write(.error, "cannot start", ["error": error.message])
            return 1
        }
        raiseFileLimit()

        let table: RouteTable
        switch RouteLoader.load(directory: routesDirectory) {
        case .success(let t):
            table = t
        case .failure(let failure):
            for error in failure.errors {
                EventLog.write(.error, "invalid route file", ["file": error.file, "key": error.keyPath, "error": error.message])
            }
            EventLog.write(.error, "refusing to start: the route files have errors", ["routes": routesDirectory, "errors": failure.errors.count])
            return 1
        }

        let configuration = Instance.Configuration(
            routesDirectory: routesDirectory, routes: table, listen: listen, listenText: listenText, workers: workers,
            settings: settings, admin: adminAddress, adminText: adminText, token: token,
            stateDirectory: options.value("state") ?? "state", resetState: options.flag("reset-state"))
        guard let instance = Instance.start(configuration) else { return 1 }
        while true {
            let signal = shim_wait_signal()
            if signal == SIGHUP {
                let control = instance.control
                instance.admin.perform { control.reload(actor: "SIGHUP") }
                continue
            }
            EventLog.write(.info, "shutting down", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT",
                                                    "drain_ms": Int(settings.drainTimeoutMs)])
            instance.stop(drainMs: settings.drainTimeoutMs)
            EventLog.write(.info, "stopped")
            return 0
        }
    }

    /// The option `name` as milliseconds, nil when not given.
    private static func duration(_ options: Options, _ name: String) throws(UsageError) -> Int64? {
        guard let text = options.value(name) else { return nil }
        guard let ms = parseDuration(text), ms > 0 else { throw UsageError("--\(name): '\(text)' is not a duration like 30s") }
        return Int64(ms)
    }

    /// Many client and backend sockets: raise the open-file limit to the hard limit.
    private static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
