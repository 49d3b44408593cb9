import CLinuxShim
import Control
import Glibc
import ProxyIO
import Traffic

/// `sluice serve`: loads the routes, starts the workers, then waits for signals on the
/// main thread (SIGHUP reloads; SIGTERM/SIGINT drain and exit 0).
enum ServeCommand {
    static let names = OptionNames(valued: ["routes", "listen", "workers", "drain", "header-timeout", "body-timeout",
                                            "idle-timeout", "max-connections", "max-backend-connections", "admin",
                                            "admin-token-file", "state", "tls-listen", "cert", "key", "certs", "backend-ca", "access-log",
                                            "pid-file", "admin-cert", "admin-key", "store", "store-prefix", "instance", "store-lease",
                                            "http2", "http2-max-streams", "http2-max-frame-size", "http2-max-header-list",
                                            "http2-stall-timeout"],
                                   flags: ["reset-state", "confirm-reset"])

    /// An integer option within `range`, nil when absent.
    private static func number(_ options: Options, _ name: String, _ range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let text = options.value(name) else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw UsageError("--\(name): '\(text)' is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let options = try Options(names, arguments: arguments)
        if options.flag("help") { print(Help.serve); return 0 }
        guard options.positional.isEmpty else { throw UsageError("unexpected argument '\(options.positional[0])'") }
        let routesDirectory = options.value("routes") ?? "routes"
        let listenText = options.value("listen") ?? "0.0.0.0:8080"
        guard let listen = parseListenAddress(listenText) else {
            throw UsageError("--listen (or SLUICE_LISTEN): '\(listenText)' is not HOST:PORT with an IP address, such as 0.0.0.0:8080, 127.0.0.1:8080 or localhost:8080 (other names are not resolved)")
        }
        let tls = try tlsOptions(options)
        let fleet = try fleetOptions(options, listenText: listenText)
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
        switch options.value("access-log") ?? "stdout" {
        case "stdout": settings.accessLog = .stdout
        case "off": settings.accessLog = nil
        case let other: throw UsageError("--access-log: '\(other)' is not stdout or off")
        }
        switch options.value("http2") ?? "on" {
        case "on": settings.http2 = true
        case "off": settings.http2 = false
        case let other: throw UsageError("--http2 (or SLUICE_HTTP2): '\(other)' is not on or off")
        }
        settings.http2Limits.maxConcurrentStreams = try number(options, "http2-max-streams", 1...10_000) ?? settings.http2Limits.maxConcurrentStreams
        settings.http2Limits.maxFrameSize = try number(options, "http2-max-frame-size", 16_384...16_777_215) ?? settings.http2Limits.maxFrameSize
        settings.http2Limits.maxHeaderListSize = try number(options, "http2-max-header-list", 1_024...1 << 20) ?? settings.http2Limits.maxHeaderListSize
        settings.http2Limits.stallTimeoutMs = try duration(options, "http2-stall-timeout").map(Int.init) ?? settings.http2Limits.stallTimeoutMs
        let fileLimit = raiseFileLimit()
        settings.maxConnectionsPerWorker = FileDescriptorBudget.clientConnectionsPerWorker(limit: fileLimit, workers: workers)
        if let text = options.value("max-connections") {
            guard let n = Int(text), n >= 1 else { throw UsageError("--max-connections: '\(text)' is not a positive number") }
            settings.maxConnectionsPerWorker = max(1, (n + workers - 1) / workers)
            if FileDescriptorBudget.exceeds(perWorker: settings.maxConnectionsPerWorker, workers: workers, limit: fileLimit) {
                EventLog.write(.warning, "--max-connections may exhaust the open-file limit: health checks, backends and the admin API could fail under a flood",
                               ["max_connections": .number(Double(n)), "open_file_limit": .number(Double(fileLimit)),
                                "suggested": .number(Double(FileDescriptorBudget.clientConnectionsPerWorker(limit: fileLimit, workers: workers) * workers))])
            }
        }
        if let text = options.value("max-backend-connections") {
            guard let n = Int(text), n >= 1 else { throw UsageError("--max-backend-connections: '\(text)' is not a positive number") }
            settings.maxConnectionsPerBackend = max(1, (n + workers - 1) / workers)
        }
        // Also as ctl takes it (http://HOST:PORT), so one SLUICE_ADMIN serves both.
        let adminText = options.value("admin").map(withoutScheme) ?? "127.0.0.1:9901"
        guard let adminAddress = parseListenAddress(adminText) else {
            throw UsageError("--admin (or SLUICE_ADMIN): '\(adminText)' is not HOST:PORT with an IP address, such as 127.0.0.1:9901")
        }
        let token: AdminToken?
        do {
            token = try AdminToken.load(environmentValue: Options.environment("SLUICE_ADMIN_TOKEN"),
                                        tokenFile: options.value("admin-token-file"))
        } catch {
            EventLog.write(.error, "cannot start", ["error": .string(error.message)])
            return 1
        }
        if token == nil {
            EventLog.write(.warning, "no admin token (SLUICE_ADMIN_TOKEN or --admin-token-file): every admin endpoint but /health, /metrics and /ui will answer 403",
                           ["admin": .string(adminText)])
        }

        let table: RouteTable
        switch RouteLoader.load(directory: routesDirectory) {
        case .success(let t):
            table = t
        case .failure(let failure):
            for error in failure.errors {
                let what = error.file == routesDirectory ? "cannot use the routes directory \(routesDirectory): \(error.message)" : "invalid route file"
                EventLog.write(.error, what, ["file": .string(error.file), "key": .string(error.keyPath), "error": .string(error.message)])
            }
            EventLog.write(.error, "refusing to start: the route files have errors",
                           ["routes": .string(routesDirectory), "errors": .number(Double(failure.errors.count))])
            return 1
        }

        do {
            settings.backendTLS = try TLSClientContext(caFile: options.value("backend-ca"))
        } catch {
            EventLog.write(.error, "refusing to start: the CA certificates for https:// backends cannot be used",
                           ["file": .string(error.file), "error": .string(error.message)])
            return 1
        }
        var certificates: TLSCertificates? = nil
        var tlsListen: TLSListen? = nil
        if let tls {
            do {
                let loaded = try TLSCertificates(source: tls.source, http2: settings.http2)
                certificates = loaded
                tlsListen = TLSListen(address: tls.address, context: loaded.context)
            } catch {
                EventLog.write(.error, "refusing to start: the TLS certificates cannot be used",
                               ["file": .string(error.file), "error": .string(error.message)])
                return 1
            }
        }

        var adminTLS: TLSContext? = nil
        switch (options.value("admin-cert"), options.value("admin-key")) {
        case (let cert?, let key?):
            do {
                adminTLS = try TLSContext(certificates: [CertificateFiles(certificate: cert, key: key)])
            } catch {
                EventLog.write(.error, "refusing to start: the admin API's certificate cannot be used",
                               ["file": .string(error.file), "error": .string(error.message)])
                return 1
            }
        case (nil, nil):
            break
        default:
            throw UsageError("--admin-cert and --admin-key go together")
        }
        var configuration = Instance.Configuration(
            routesDirectory: routesDirectory, routes: table, listen: listen, listenText: listenText, workers: workers,
            settings: settings, admin: adminAddress, adminText: adminText, adminTLS: adminTLS, token: token,
            stateDirectory: options.value("state") ?? "state", resetState: options.flag("reset-state"), confirmReset: options.flag("confirm-reset"),
            tls: tlsListen, tlsText: tls?.addressText, certificates: certificates)
        configuration.fleet = fleet
        guard let instance = Instance.start(configuration) else { return 1 }
        let pidFile = options.value("pid-file")
        if let pidFile {
            do {
                try FileSystem.write(pidFile, Array("\(getpid())\n".utf8))
            } catch {
                EventLog.write(.error, "cannot write the pid file \(pidFile): \(error)", ["file": .string(pidFile)])
                instance.stop(drainMs: 0)
                return 1
            }
        }
        while true {
            let signal = shim_wait_signal()
            if signal == SIGHUP {
                let control = instance.control
                instance.admin.perform { control.reload(actor: "SIGHUP") }
                continue
            }
            EventLog.write(.info, "shutting down", ["signal": .string(signal == SIGTERM ? "SIGTERM" : "SIGINT"),
                                                    "drain_ms": .number(Double(settings.drainTimeoutMs))])
            instance.stop(drainMs: settings.drainTimeoutMs)
            if let pidFile { unlink(pidFile) }
            EventLog.write(.info, "stopped")
            return 0
        }
    }

    /// `--tls-listen ADDR` with `--cert FILE --key FILE` or `--certs DIR`; nil without
    /// `--tls-listen`. Certificate options without it, or both kinds at once, are usage errors.
    private static func tlsOptions(_ options: Options) throws(UsageError) -> (address: SocketAddress, addressText: String, source: CertificateSource)? {
        let cert = options.value("cert"), key = options.value("key"), directory = options.value("certs")
        guard let text = options.value("tls-listen") else {
            if cert != nil || key != nil || directory != nil {
                throw UsageError("--cert, --key and --certs need --tls-listen ADDR")
            }
            return nil
        }
        guard let address = parseListenAddress(text) else {
            throw UsageError("--tls-listen: '\(text)' is not HOST:PORT with an IP address")
        }
        switch (cert, key, directory) {
        case (let cert?, let key?, nil):
            return (address, text, .files(CertificateFiles(certificate: cert, key: key)))
        case (nil, nil, let directory?):
            return (address, text, .directory(directory))
        case (_, _, _?):
            throw UsageError("--tls-listen: give either --cert and --key, or --certs, not both")
        default:
            throw UsageError("--tls-listen needs --cert FILE and --key FILE, or --certs DIR")
        }
    }

    /// `--store URL[,URL...]` with `--store-prefix`, `--instance` and `--store-lease`; nil
    /// without `--store` (the other three are usage errors then).
    private static func fleetOptions(_ options: Options, listenText: String) throws(UsageError) -> Instance.Fleet? {
        guard let text = options.value("store") else {
            for name in ["store-prefix", "instance", "store-lease"] where options.value(name) != nil {
                throw UsageError("--\(name) needs --store etcd://HOST:PORT")
            }
            return nil
        }
        let store: StoreURL
        let endpoints: [SocketAddress]
        do {
            store = try StoreURL(parsing: text)
            endpoints = try store.addresses()
        } catch {
            throw UsageError(error.description)
        }
        let prefix = options.value("store-prefix") ?? "/sluice/"
        guard !prefix.isEmpty else { throw UsageError("--store-prefix: give a key prefix such as /sluice/") }
        var seconds = 5
        if let lease = options.value("store-lease") {
            guard let ms = parseDuration(lease), ms >= 1_000, ms % 1_000 == 0 else {
                throw UsageError("--store-lease: '\(lease)' is not a whole number of seconds, at least 1s, like 5s")
            }
            seconds = ms / 1_000
        }
        let name = options.value("instance") ?? defaultInstanceName(listenText: listenText)
        guard !name.isEmpty, !name.contains("/") else { throw UsageError("--instance: '\(name)' must be non-empty and without '/'") }
        return Instance.Fleet(store: store, endpoints: endpoints, keys: FleetKeys(prefix: prefix), name: name, leaseSeconds: seconds)
    }

    /// The host name and the listen port (`web-1:8080`), as SPEC 8 names an instance by default.
    private static func defaultInstanceName(listenText: String) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "sluice"
        let port = listenText.split(separator: ":").last.map(String.init) ?? ""
        return "\(host):\(port)"
    }

    /// The option `name` as milliseconds, nil when not given.
    private static func duration(_ options: Options, _ name: String) throws(UsageError) -> Int64? {
        guard let text = options.value(name) else { return nil }
        guard let ms = parseDuration(text), ms > 0 else { throw UsageError("--\(name): '\(text)' is not a duration like 30s") }
        return Int64(ms)
    }

    /// Many client and backend sockets: raises the open-file limit to the hard limit and
    /// returns the limit in force (1024, the usual default, if it cannot be read).
    private static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        let hard = limit.rlim_max
        limit.rlim_cur = hard
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            return Int(min(hard, UInt(Int.max / 4))) // RLIM_INFINITY is the largest value
        }
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(min(limit.rlim_cur, UInt(Int.max / 4)))
    }
}
