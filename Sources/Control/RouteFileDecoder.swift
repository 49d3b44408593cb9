import Traffic

/// Turns one route file into a `Route`, checking every field and collecting every error with
/// its key path instead of stopping at the first. Runs at load and reload, off the event loops
/// (backend host names are resolved here, which blocks).
struct RouteFileDecoder {
    /// What a route takes; no two routes may have the same.
    struct MatchRule: Hashable {
        var host: HostPattern?
        var pathPrefix: [UInt8]
    }

    /// The file's path as shown in errors.
    let file: String
    /// Every problem found so far; the route is valid only when this stays empty.
    var errors: [RouteFileError] = []
    /// The route's name once read, even when other fields are wrong, for the cross-file checks.
    private(set) var name: String?
    /// The route's match rule once read, even when other fields are wrong.
    private(set) var matchRule: MatchRule?

    init(file: String) {
        self.file = file
    }

    /// Decodes the file's bytes; returns the route when the file has no error at all.
    mutating func decode(_ bytes: [UInt8]) -> Route? {
        let root = JSONNode(value: parseJSON(bytes), keyPath: "")
        let keys = ["name", "match", "pools", "stable", "weights", "health", "sticky", "override",
                    "exposePool", "analysis", "timeouts", "retries", "webhook", "upgrades"]
        guard object(root, keys: keys) else { return nil }
        name = decodeName(root["name"])
        matchRule = decodeMatch(root["match"])
        var blue: PoolConfig?, green: PoolConfig?
        if require(root["pools"]), object(root["pools"], keys: ["blue", "green"]) {
            blue = decodePool(root["pools"]["blue"])
            green = decodePool(root["pools"]["green"])
        }
        // Every section is decoded even after an error, so that all errors are reported; the
        // placeholders for missing parts stand in only in a route that is then thrown away.
        let route = Route(
            name: name ?? "", host: matchRule?.host, pathPrefix: matchRule?.pathPrefix ?? [],
            blue: blue ?? PoolConfig(backends: []), green: green ?? PoolConfig(backends: []),
            stable: decodeStable(root["stable"]), greenWeight: decodeWeights(root["weights"]),
            sticky: decodeSticky(root["sticky"]), override: decodeOverride(root["override"]),
            exposePool: bool(root["exposePool"]) ?? false,
            health: decodeHealth(root["health"]), analysis: decodeAnalysis(root["analysis"]),
            timeouts: decodeTimeouts(root["timeouts"]), retries: decodeRetries(root["retries"]),
            webhook: decodeWebhook(root["webhook"]), upgrades: decodeUpgrades(root["upgrades"])
        )
        return errors.isEmpty ? route : nil
    }

    /// The top-level JSON value, or nil with an error naming the line and column where the
    /// syntax breaks: `invalid JSON at line 3, column 12: Invalid value`. A key given twice
    /// in one object is an error at its key path (the value is still returned, so the rest
    /// of the file is checked too).
    mutating func parseJSON(_ bytes: [UInt8]) -> JSONValue? {
        do {
            let (value, duplicates) = try JSONValue.parsingStrictly(bytes)
            for keyPath in duplicates { fail(at: keyPath, "the key is given twice (route files take each key once)") }
            return value
        } catch {
            fail(at: "", "invalid JSON \(error)")
            return nil
        }
    }

    /// `name`: required, `[A-Za-z0-9._-]+`.
    private mutating func decodeName(_ node: JSONNode) -> String? {
        guard require(node), let text = string(node) else { return nil }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".utf8)
        guard !text.isEmpty, text.utf8.allSatisfy(allowed.contains) else {
            fail(node, "expected letters, digits, \".\", \"_\" and \"-\", got \"\(text)\"")
            return nil
        }
        return text
    }

    /// `match`: an optional `host` pattern and `pathPrefix` (default `/`); nil when invalid.
    private mutating func decodeMatch(_ node: JSONNode) -> MatchRule? {
        let errorCount = errors.count
        var rule = MatchRule(host: nil, pathPrefix: Array("/".utf8))
        if object(node, keys: ["host", "pathPrefix"]) {
            if let text = string(node["host"]) {
                rule.host = HostPattern(parsing: text)
                if rule.host == nil {
                    fail(node["host"], "expected a host name, \"*.domain\", an IPv4 address or \"[IPv6]\" without port, got \"\(text)\"")
                }
            }
            if let text = path(node["pathPrefix"], allowQuery: false) {
                rule.pathPrefix = Array(text.utf8)
            }
        }
        return errors.count == errorCount ? rule : nil
    }

    /// `pools.blue` or `pools.green`: required, with a non-empty `backends` array.
    private mutating func decodePool(_ node: JSONNode) -> PoolConfig? {
        guard require(node), object(node, keys: ["backends"]), require(node["backends"]),
              let elements = array(node["backends"])
        else { return nil }
        if elements.isEmpty {
            fail(node["backends"], "expected at least one backend")
        }
        var backends: [(address: BackendAddress, node: JSONNode)] = []
        for element in elements {
            guard let backend = decodeBackend(element) else { continue }
            if let twin = backends.first(where: { $0.address.ip == backend.ip && $0.address.port == backend.port }) {
                fail(element, "\"\(backend.label)\" is the same backend as \(twin.node.keyPath) (\"\(twin.address.label)\")")
            }
            backends.append((backend, element))
        }
        return PoolConfig(backends: backends.map(\.address))
    }

    /// One backend: `host:port`, `[IPv6]:port`, `http://host:port` or `https://host:port`
    /// (TLS to the backend); host names are resolved now.
    private mutating func decodeBackend(_ node: JSONNode) -> BackendAddress? {
        guard let text = string(node) else { return nil }
        var label = Substring(text)
        let tls = text.lowercased().hasPrefix("https://")
        if tls || text.lowercased().hasPrefix("http://") {
            label = label.dropFirst(tls ? "https://".count : "http://".count)
            if label.hasSuffix("/") { label = label.dropLast() }
        }
        guard let (host, port) = BackendAddress.parseHostPort(String(label)) else {
            fail(node, "expected \"host:port\", \"[IPv6]:port\", \"http://host:port\" or \"https://host:port\", got \"\(text)\"")
            return nil
        }
        if let ip = IPAddress(parsing: host) {
            return BackendAddress(label: String(label), ip: ip, port: port, tlsHost: tls ? host : nil)
        }
        // getaddrinfo would read "10.1" or "127.0.0.01" as legacy IPv4 forms: refuse them instead.
        guard !host.utf8.allSatisfy(Set("0123456789.".utf8).contains) else {
            fail(node, "invalid IPv4 address \"\(host)\"")
            return nil
        }
        guard let ip = HostResolver.resolve(host) else {
            fail(node, "cannot resolve host \"\(host)\"")
            return nil
        }
        return BackendAddress(label: String(label), ip: ip, port: port, tlsHost: tls ? host : nil)
    }

    /// `stable`: `"blue"` (the default) or `"green"`.
    private mutating func decodeStable(_ node: JSONNode) -> Pool {
        guard let text = string(node) else { return .blue }
        guard let pool = Pool(name: text) else {
            fail(node, "expected \"blue\" or \"green\", got \"\(text)\"")
            return .blue
        }
        return pool
    }

    /// `weights`: `green` and/or `blue` in percent (adding up to 100 when both are given);
    /// green's weight, or nil (the stable pool takes all) when absent.
    private mutating func decodeWeights(_ node: JSONNode) -> Weight? {
        guard object(node, keys: ["blue", "green"]) else { return nil }
        let green = percent(node["green"]), blue = percent(node["blue"])
        if let green, let blue, green.basisPoints + blue.basisPoints != 10_000 {
            fail(node, "blue and green must add up to 100, got \(blue.percentText) and \(green.percentText)")
        }
        return green ?? blue?.complement
    }

    private mutating func percent(_ node: JSONNode) -> Weight? {
        let expected = "a percentage from 0 to 100 with at most two decimals"
        guard let value = number(node, in: 0...100, expected: expected) else { return nil }
        guard let weight = Weight(percent: value) else {
            fail(node, "expected \(expected), got \(value)")
            return nil
        }
        return weight
    }

    /// `sticky`: `by` (required: `cookie`, `header` or `ip`) and `name` (the cookie, default
    /// `sluice_id`, or the header, required; not allowed with `ip`).
    private mutating func decodeSticky(_ node: JSONNode) -> StickyConfig? {
        guard object(node, keys: ["by", "name"]) else { return nil }
        let name = token(node["name"])
        guard require(node["by"]), let text = string(node["by"]) else { return nil }
        switch StickyConfig.Source(rawValue: text) {
        case .cookie?:
            return StickyConfig(by: .cookie, name: name ?? StickyConfig.defaultCookieName)
        case .header?:
            if node["name"].value == nil {
                fail(node["name"], "is required with \"by\": \"header\"")
            }
            return name.map { StickyConfig(by: .header, name: $0) }
        case .clientIP?:
            if node["name"].value != nil {
                fail(node["name"], "is not used with \"by\": \"ip\"")
            }
            return StickyConfig(by: .clientIP, name: "")
        case nil:
            fail(node["by"], "expected \"cookie\", \"header\" or \"ip\", got \"\(text)\"")
            return nil
        }
    }

    /// `override`: the `header` and the `allowFrom` addresses or CIDR blocks, each defaulted.
    private mutating func decodeOverride(_ node: JSONNode) -> OverrideConfig? {
        guard object(node, keys: ["header", "allowFrom"]) else { return nil }
        var config = OverrideConfig()
        if let header = token(node["header"]) {
            config.header = header
        }
        if let elements = array(node["allowFrom"]) {
            config.allowFrom = []
            for element in elements {
                guard let text = string(element) else { continue }
                guard let block = CIDR(parsing: text) else {
                    fail(element, "expected an address or CIDR block like \"10.0.0.0/8\" or \"::1\", got \"\(text)\"")
                    continue
                }
                config.allowFrom.append(block)
            }
        }
        return config
    }

    /// `health`: path, interval, timeout and the thresholds, each defaulted.
    private mutating func decodeHealth(_ node: JSONNode) -> HealthConfig {
        var config = HealthConfig()
        guard object(node, keys: ["path", "interval", "timeout", "unhealthyAfter", "healthyAfter"]) else { return config }
        config.path = path(node["path"], allowQuery: true) ?? config.path
        config.intervalMs = duration(node["interval"]) ?? config.intervalMs
        config.timeoutMs = duration(node["timeout"]) ?? config.timeoutMs
        let threshold = "a whole number from 1 to 100"
        config.unhealthyAfter = integer(node["unhealthyAfter"], in: 1...100, expected: threshold) ?? config.unhealthyAfter
        config.healthyAfter = integer(node["healthyAfter"], in: 1...100, expected: threshold) ?? config.healthyAfter
        return config
    }

    /// `analysis`: `errorRate` and `latency` margins and `minRequests`, each defaulting to
    /// `base`'s (a rollout's analysis overrides the route's only where it says so).
    mutating func decodeAnalysis(_ node: JSONNode, base: AnalysisConfig = AnalysisConfig()) -> AnalysisConfig {
        var config = base
        guard object(node, keys: ["errorRate", "latency", "minRequests"]) else { return config }
        let ratio = "a ratio of at least 1"
        let errorRate = node["errorRate"]
        if object(errorRate, keys: ["maxIncrease", "maxRatio"]) {
            let fraction = "a fraction from 0 to 1 (0.005 is half a percentage point)"
            config.errorRateMaxIncrease = number(errorRate["maxIncrease"], in: 0...1, expected: fraction) ?? config.errorRateMaxIncrease
            config.errorRateMaxRatio = number(errorRate["maxRatio"], in: 1...1_000_000, expected: ratio) ?? config.errorRateMaxRatio
        }
        let latency = node["latency"]
        if object(latency, keys: ["quantile", "maxIncrease", "maxRatio"]) {
            let quantile = "a quantile from 0.5 to 0.999 (0.95 is p95)"
            config.latencyQuantile = number(latency["quantile"], in: 0.5...0.999, expected: quantile) ?? config.latencyQuantile
            config.latencyMaxIncreaseMs = duration(latency["maxIncrease"], allowZero: true) ?? config.latencyMaxIncreaseMs
            config.latencyMaxRatio = number(latency["maxRatio"], in: 1...1_000_000, expected: ratio) ?? config.latencyMaxRatio
        }
        let requests = "a whole number of requests, 0 or more"
        config.minRequests = integer(node["minRequests"], in: 0...1_000_000_000, expected: requests) ?? config.minRequests
        return config
    }

    /// `timeouts`: `connect`, `firstByte` and `idle` durations, each defaulted.
    private mutating func decodeTimeouts(_ node: JSONNode) -> Timeouts {
        var config = Timeouts()
        guard object(node, keys: ["connect", "firstByte", "idle"]) else { return config }
        config.connectMs = duration(node["connect"]) ?? config.connectMs
        config.firstByteMs = duration(node["firstByte"]) ?? config.firstByteMs
        config.idleMs = duration(node["idle"]) ?? config.idleMs
        return config
    }

    /// `retries`: `attempts` (0...10) and the failures to retry `on`, each defaulted.
    private mutating func decodeRetries(_ node: JSONNode) -> RetryPolicy {
        var config = RetryPolicy()
        guard object(node, keys: ["attempts", "on"]) else { return config }
        config.attempts = integer(node["attempts"], in: 0...10, expected: "a whole number from 0 to 10") ?? config.attempts
        if let elements = array(node["on"]) {
            config.onConnectFailure = false
            config.onResetBeforeResponse = false
            for element in elements {
                switch string(element) {
                case "connect-failure": config.onConnectFailure = true
                case "reset-before-response": config.onResetBeforeResponse = true
                case let other?: fail(element, "expected \"connect-failure\" or \"reset-before-response\", got \"\(other)\"")
                case nil: continue
                }
            }
        }
        return config
    }

    /// `webhook`: an `http://HOST:PORT/PATH` URL (what `WebhookSender` can deliver to).
    private mutating func decodeWebhook(_ node: JSONNode) -> String? {
        guard let text = string(node) else { return nil }
        guard text.lowercased().hasPrefix("http://"), HTTPClient.parse(url: text) != nil else {
            fail(node, "expected an http://HOST:PORT/PATH URL (https is not supported for webhooks), got \"\(text)\"")
            return nil
        }
        return text
    }

    /// `upgrades`: the protocols a client may switch to (`["websocket"]` by default; `[]` for
    /// none); `h2c` is refused.
    private mutating func decodeUpgrades(_ node: JSONNode) -> UpgradePolicy {
        guard let elements = array(node) else { return .websocket }
        var names: [String] = []
        for element in elements {
            guard let name = string(element) else { continue }
            if name.lowercased() == "h2c" {
                fail(element, "h2c is never tunnelled: its requests would pass every route rule unseen")
            } else if UpgradePolicy(names: [name]) == nil {
                fail(element, "expected a protocol name such as \"websocket\" (letters, digits and !#$%&'*+-.^_`|~), got \"\(name)\"")
            } else {
                names.append(name)
            }
        }
        return UpgradePolicy(names: names) ?? .websocket
    }

    /// A path starting with `/`, of visible ASCII without `#`, and without `?` unless `allowQuery`.
    private mutating func path(_ node: JSONNode, allowQuery: Bool) -> String? {
        guard let text = string(node) else { return nil }
        guard text.hasPrefix("/"),
              text.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "#") && (allowQuery || $0 != UInt8(ascii: "?")) })
        else {
            let query = allowQuery ? "" : " query,"
            fail(node, "expected a path starting with \"/\" without\(query) fragment, spaces or non-ASCII bytes, got \"\(text)\"")
            return nil
        }
        return text
    }

    /// A header or cookie name: an RFC 9110 token.
    private mutating func token(_ node: JSONNode) -> String? {
        guard let text = string(node) else { return nil }
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        guard !text.isEmpty, text.utf8.allSatisfy(tchar.contains) else {
            fail(node, "expected a header or cookie name (letters, digits and !#$%&'*+-.^_`|~), got \"\(text)\"")
            return nil
        }
        return text
    }
}
