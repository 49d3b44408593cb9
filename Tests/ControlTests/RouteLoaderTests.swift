import Foundation
import Testing
import Control
import Traffic

struct RouteLoaderTests {
    @Test func loadsTheSpecExample() throws {
        let directory = try RouteDirectory(["api.json": specExample])
        let table = try directory.load().get()
        #expect(table.routes.count == 1)
        let route = try #require(table.routes.first)
        #expect(route.name == "api")
        #expect(route.host == HostPattern(parsing: "api.example.com"))
        #expect(route.pathPrefix == Array("/".utf8))
        #expect(route.blue.backends == [BackendAddress(label: "127.0.0.1:8001", ip: .v4(0x7F00_0001), port: 8001)])
        #expect(route.green.backends.map(\.label) == ["127.0.0.1:8002", "127.0.0.1:8003"])
        #expect(route.green.backends.map(\.port) == [8002, 8003])
        #expect(route.stable == .blue)
        #expect(route.greenWeight == .zero)
        #expect(route.health == HealthConfig(path: "/health", intervalMs: 2_000, timeoutMs: 1_000, unhealthyAfter: 3, healthyAfter: 2))
        #expect(route.sticky == StickyConfig(by: .cookie, name: "sluice_id"))
        #expect(route.override?.header == "X-Sluice-Pool")
        #expect(route.override?.allowFrom.map(\.description) == ["127.0.0.0/8", "10.0.0.0/8"])
        #expect(route.exposePool == false)
        #expect(route.analysis == AnalysisConfig(errorRateMaxIncrease: 0.01, errorRateMaxRatio: 2.0, latencyQuantile: 0.95,
                                                 latencyMaxIncreaseMs: 50, latencyMaxRatio: 1.25, minRequests: 200))
        #expect(route.timeouts == Timeouts(connectMs: 1_000, firstByteMs: 30_000, idleMs: 60_000))
        #expect(route.retries == RetryPolicy(attempts: 2, onConnectFailure: true, onResetBeforeResponse: true))
        #expect(route.webhook == "http://127.0.0.1:9000/hooks/sluice")
    }

    @Test func loadsTheRepositoryRoutes() throws {
        let routes = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("../../routes").standardized.path
        let table = try RouteLoader.load(directory: routes).get()
        let route = try #require(table.routes.first { $0.name == "app" })
        #expect(route.host == nil)
        #expect(route.pathPrefix == Array("/".utf8))
        #expect(route.blue.backends.map(\.label) == ["127.0.0.1:8001"])
        #expect(route.green.backends.map(\.label) == ["127.0.0.1:8002"])
        #expect(route.stable == .blue)
        #expect(route.greenWeight.basisPoints == 1_000)
        #expect(route.sticky == nil)
        #expect(route.override?.allowFrom.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(route.exposePool)
        #expect(route.health.path == "/health")
    }

    @Test func httpsBackendsKeepTheirHostForTLS() throws {
        let file = #"{"name": "t", "pools": {"blue": {"backends": ["https://localhost:9443/"]}, "green": {"backends": ["https://127.0.0.1:9444", "127.0.0.1:9445"]}}}"#
        let route = try #require(try RouteDirectory(["t.json": file]).load().get().routes.first)
        #expect(route.blue.backends == [BackendAddress(label: "localhost:9443", ip: .v4(0x7F00_0001), port: 9443, tlsHost: "localhost")])
        #expect(route.green.backends.map(\.tlsHost) == ["127.0.0.1", nil])
    }

    @Test func minimalFileGetsDefaults() throws {
        let minimal = #"{"name": "m", "pools": {"blue": {"backends": ["localhost:9001"]}, "green": {"backends": ["http://[::1]:9002/"]}}}"#
        let directory = try RouteDirectory(["m.json": minimal])
        let route = try #require(try directory.load().get().routes.first)
        #expect(route.host == nil)
        #expect(route.pathPrefix == Array("/".utf8))
        #expect(route.blue.backends == [BackendAddress(label: "localhost:9001", ip: .v4(0x7F00_0001), port: 9001)])
        #expect(route.green.backends == [BackendAddress(label: "[::1]:9002", ip: .v6(0, 1), port: 9002)])
        #expect(route.stable == .blue)
        #expect(route.greenWeight == .zero)
        #expect(route.sticky == nil)
        #expect(route.override == nil)
        #expect(route.health == HealthConfig())
        #expect(route.analysis == AnalysisConfig())
        #expect(route.timeouts == Timeouts())
        #expect(route.retries == RetryPolicy())
        #expect(route.webhook == nil)
        #expect(route.upgrades == .websocket)
    }

    @Test func upgradesListTheProtocolsTunnelled() throws {
        let file = #"{"name": "u", "pools": {"blue": {"backends": ["127.0.0.1:9001"]}, "green": {"backends": ["127.0.0.1:9002"]}}, "upgrades": ["WebSocket", "foo"]}"#
        let route = try #require(try RouteDirectory(["u.json": file]).load().get().routes.first)
        #expect(route.upgrades.protocols == [Array("websocket".utf8), Array("foo".utf8)])
        let none = #"{"name": "u", "pools": {"blue": {"backends": ["127.0.0.1:9001"]}, "green": {"backends": ["127.0.0.1:9002"]}}, "upgrades": []}"#
        #expect(try #require(try RouteDirectory(["u.json": none]).load().get().routes.first).upgrades.protocols == [])
    }

    @Test func optionalSectionsAndAlternativeForms() throws {
        let text = editedExample([
            (#""stable": "blue""#, #""stable": "green""#),
            (#""weights": { "green": 0 }"#, #""weights": { "blue": 12.5 }"#),
            (#""sticky":  { "by": "cookie", "name": "sluice_id" }"#, #""sticky": { "by": "header", "name": "X-User" }"#),
            (#""override": { "header": "X-Sluice-Pool", "allowFrom": ["127.0.0.0/8", "10.0.0.0/8"] }"#, #""override": {}, "exposePool": true"#),
            (#""match": { "host": "api.example.com", "pathPrefix": "/" }"#, #""match": { "host": "*.Example.com", "pathPrefix": "/api/" }"#),
            (#""retries":  { "attempts": 2, "on": ["connect-failure", "reset-before-response"] }"#, #""retries": { "attempts": 0, "on": ["connect-failure"] }"#),
            (#""maxIncrease": "50ms""#, #""maxIncrease": "0ms""#),
        ])
        let directory = try RouteDirectory(["api.json": text])
        let route = try #require(try directory.load().get().routes.first)
        #expect(route.stable == .green)
        #expect(route.greenWeight.basisPoints == 8_750)
        #expect(route.sticky == StickyConfig(by: .header, name: "X-User"))
        #expect(route.override == OverrideConfig())
        #expect(route.exposePool)
        #expect(route.host == .suffix(Array(".example.com".utf8)))
        #expect(route.pathPrefix == Array("/api/".utf8))
        #expect(route.retries == RetryPolicy(attempts: 0, onConnectFailure: true, onResetBeforeResponse: false))
        #expect(route.analysis.latencyMaxIncreaseMs == 0)
    }

    @Test func stableGreenWithoutWeightsSendsAllToGreen() throws {
        let text = editedExample([(#""stable": "blue""#, #""stable": "green""#), (#""weights": { "green": 0 },"#, "")])
        let directory = try RouteDirectory(["api.json": text])
        #expect(try directory.load().get().routes.first?.greenWeight == .full)
    }

    /// One broken field: an edit to the SPEC example, and the errors expected (key path, message).
    struct BrokenField: Sendable, CustomTestStringConvertible {
        let edits: [(String, String)]
        let expected: [(keyPath: String, message: String)]

        init(_ old: String, _ new: String, _ keyPath: String, _ message: String, andThen more: [(String, String)] = []) {
            edits = [(old, new)]
            expected = [(keyPath, message)] + more
        }

        var testDescription: String { "\(expected[0].keyPath): \(expected[0].message)" }
    }

    static let brokenFields: [BrokenField] = [
        .init(#""name": "api","#, "", "name", "is required"),
        .init(#""name": "api""#, #""name": "my api""#, "name", #"expected letters, digits, ".", "_" and "-", got "my api""#),
        .init(#""name": "api""#, #""name": 3"#, "name", "expected a string, got a number (3)"),
        .init(#""stable": "blue""#, #""stabel": "blue""#, "stabel", #"unknown key "stabel"; expected one of: name, match, pools, stable, weights, health, sticky, override, exposePool, analysis, timeouts, retries, webhook, upgrades"#),
        .init(#""interval": "2s""#, #""intervall": "2s""#, "health.intervall", #"unknown key "intervall"; expected one of: path, interval, timeout, unhealthyAfter, healthyAfter"#),
        .init(#""match": { "host": "api.example.com", "pathPrefix": "/" }"#, #""match": "api.example.com""#, "match", #"expected an object, got a string ("api.example.com")"#),
        .init(#""host": "api.example.com""#, #""host": "api.example.com:80""#, "match.host", #"expected a host name, "*.domain", an IPv4 address or "[IPv6]" without port, got "api.example.com:80""#),
        .init(#""host": "api.example.com""#, #""host": "a.*.com""#, "match.host", #"expected a host name, "*.domain", an IPv4 address or "[IPv6]" without port, got "a.*.com""#),
        .init(#""pathPrefix": "/""#, #""pathPrefix": "api""#, "match.pathPrefix", #"expected a path starting with "/" without query, fragment, spaces or non-ASCII bytes, got "api""#),
        .init(#""pathPrefix": "/""#, #""pathPrefix": "/a?b""#, "match.pathPrefix", #"expected a path starting with "/" without query, fragment, spaces or non-ASCII bytes, got "/a?b""#),
        .init(#""pools": {"#, #""pool": {"#, "pool", #"unknown key "pool"; expected one of: name, match, pools, stable, weights, health, sticky, override, exposePool, analysis, timeouts, retries, webhook, upgrades"#,
              andThen: [("pools", "is required")]),
        .init(#""green": { "backends": ["127.0.0.1:8002", "127.0.0.1:8003"] }"#, #""grene": { "backends": ["127.0.0.1:8002"] }"#, "pools.grene", #"unknown key "grene"; expected one of: blue, green"#,
              andThen: [("pools.green", "is required")]),
        .init(#""blue":  { "backends": ["127.0.0.1:8001"] }"#, #""blue": { "backends": [] }"#, "pools.blue.backends", "expected at least one backend"),
        .init(#""blue":  { "backends": ["127.0.0.1:8001"] }"#, #""blue": { "backends": "127.0.0.1:8001" }"#, "pools.blue.backends", #"expected an array, got a string ("127.0.0.1:8001")"#),
        .init(#""blue":  { "backends": ["127.0.0.1:8001"] }"#, #""blue": { }"#, "pools.blue.backends", "is required"),
        .init(#""blue":  { "backends": ["127.0.0.1:8001"] }"#, #""blue": { "backends": [8001] }"#, "pools.blue.backends[0]", "expected a string, got a number (8001)"),
        .init(#""127.0.0.1:8001""#, #""127.0.0.1""#, "pools.blue.backends[0]", #"expected "host:port", "[IPv6]:port", "http://host:port" or "https://host:port", got "127.0.0.1""#),
        .init(#""127.0.0.1:8001""#, #""http://127.0.0.1:8001/api""#, "pools.blue.backends[0]", #"expected "host:port", "[IPv6]:port", "http://host:port" or "https://host:port", got "http://127.0.0.1:8001/api""#),
        .init(#""127.0.0.1:8003""#, #""https://127.0.0.1:8003/x""#, "pools.green.backends[1]", #"expected "host:port", "[IPv6]:port", "http://host:port" or "https://host:port", got "https://127.0.0.1:8003/x""#),
        .init(#""127.0.0.1:8003""#, #""nope.invalid:8003""#, "pools.green.backends[1]", #"cannot resolve host "nope.invalid""#),
        .init(#""127.0.0.1:8003""#, #""127.1:8003""#, "pools.green.backends[1]", #"invalid IPv4 address "127.1""#),
        .init(#""127.0.0.1:8003""#, #""http://127.0.0.1:8002""#, "pools.green.backends[1]", #""127.0.0.1:8002" is the same backend as pools.green.backends[0] ("127.0.0.1:8002")"#),
        .init(#""stable": "blue""#, #""stable": "purple""#, "stable", #"expected "blue" or "green", got "purple""#),
        .init(#""weights": { "green": 0 }"#, #""weights": { "green": 10.255 }"#, "weights.green", "expected a percentage from 0 to 100 with at most two decimals, got 10.255"),
        .init(#""weights": { "green": 0 }"#, #""weights": { "green": 101 }"#, "weights.green", "expected a percentage from 0 to 100 with at most two decimals, got a number (101)"),
        .init(#""weights": { "green": 0 }"#, #""weights": { "green": "10" }"#, "weights.green", #"expected a percentage from 0 to 100 with at most two decimals, got a string ("10")"#),
        .init(#""weights": { "green": 0 }"#, #""weights": { "green": 10, "blue": 80 }"#, "weights", "blue and green must add up to 100, got 80 and 10"),
        .init(#""weights": { "green": 0 }"#, #""weights": { "red": 10 }"#, "weights.red", #"unknown key "red"; expected one of: blue, green"#),
        .init(#""interval": "2s""#, #""interval": "2""#, "health.interval", #"expected a positive duration with a unit ("250ms", "2s", "5m", "1h"), got "2""#),
        .init(#""interval": "2s""#, #""interval": 2"#, "health.interval", "expected a string, got a number (2)"),
        .init(#""timeout": "1s""#, #""timeout": "0s""#, "health.timeout", #"expected a positive duration with a unit ("250ms", "2s", "5m", "1h"), got "0s""#),
        .init(#""path": "/health""#, #""path": "health""#, "health.path", #"expected a path starting with "/" without fragment, spaces or non-ASCII bytes, got "health""#),
        .init(#""unhealthyAfter": 3"#, #""unhealthyAfter": 0"#, "health.unhealthyAfter", "expected a whole number from 1 to 100, got a number (0)"),
        .init(#""healthyAfter": 2"#, #""healthyAfter": 1.5"#, "health.healthyAfter", "expected a whole number from 1 to 100, got a number (1.5)"),
        .init(#""healthyAfter": 2"#, #""healthyAfter": true"#, "health.healthyAfter", "expected a whole number from 1 to 100, got true"),
        .init(#""by": "cookie""#, #""by": "session""#, "sticky.by", #"expected "cookie", "header" or "ip", got "session""#),
        .init(#""by": "cookie", "name": "sluice_id""#, #""name": "sluice_id""#, "sticky.by", "is required"),
        .init(#""by": "cookie", "name": "sluice_id""#, #""by": "header""#, "sticky.name", #"is required with "by": "header""#),
        .init(#""by": "cookie""#, #""by": "ip""#, "sticky.name", #"is not used with "by": "ip""#),
        .init(#""name": "sluice_id""#, #""name": "sluice id""#, "sticky.name", "expected a header or cookie name (letters, digits and !#$%&'*+-.^_`|~), got \"sluice id\""),
        .init(#""header": "X-Sluice-Pool""#, #""header": "X-Sluice-Pool:""#, "override.header", "expected a header or cookie name (letters, digits and !#$%&'*+-.^_`|~), got \"X-Sluice-Pool:\""),
        .init(#""10.0.0.0/8""#, #""10.0.0.0/33""#, "override.allowFrom[1]", #"expected an address or CIDR block like "10.0.0.0/8" or "::1", got "10.0.0.0/33""#),
        .init(#""allowFrom": ["127.0.0.0/8", "10.0.0.0/8"]"#, #""allowFrom": "127.0.0.0/8""#, "override.allowFrom", #"expected an array, got a string ("127.0.0.0/8")"#),
        .init(#""webhook":  "http://127.0.0.1:9000/hooks/sluice""#, #""exposePool": "yes""#, "exposePool", #"expected true or false, got a string ("yes")"#),
        .init(#""webhook":  "http://127.0.0.1:9000/hooks/sluice""#, #""exposePool": 1"#, "exposePool", "expected true or false, got a number (1)"),
        .init(#""maxIncrease": 0.01"#, #""maxIncrease": 2"#, "analysis.errorRate.maxIncrease", "expected a fraction from 0 to 1 (0.005 is half a percentage point), got a number (2)"),
        .init(#""maxRatio": 2.0"#, #""maxRatio": 0.5"#, "analysis.errorRate.maxRatio", "expected a ratio of at least 1, got a number (0.5)"),
        .init(#""quantile": 0.95"#, #""quantile": 95"#, "analysis.latency.quantile", "expected a quantile from 0.5 to 0.999 (0.95 is p95), got a number (95)"),
        .init(#""maxIncrease": "50ms""#, #""maxIncrease": "fast""#, "analysis.latency.maxIncrease", #"expected a duration with a unit ("250ms", "2s", "5m", "1h"), got "fast""#),
        .init(#""minRequests": 200"#, #""minRequests": -1"#, "analysis.minRequests", "expected a whole number of requests, 0 or more, got a number (-1)"),
        .init(#""latency":"#, #""latencies":"#, "analysis.latencies", #"unknown key "latencies"; expected one of: errorRate, latency, minRequests"#),
        .init(#""connect": "1s""#, #""connect": "1x""#, "timeouts.connect", #"expected a positive duration with a unit ("250ms", "2s", "5m", "1h"), got "1x""#),
        .init(#""attempts": 2"#, #""attempts": 11"#, "retries.attempts", "expected a whole number from 0 to 10, got a number (11)"),
        .init(#""reset-before-response""#, #""timeout""#, "retries.on[1]", #"expected "connect-failure" or "reset-before-response", got "timeout""#),
        .init(#""http://127.0.0.1:9000/hooks/sluice""#, #""ftp://127.0.0.1/hooks""#, "webhook", #"expected an http://HOST:PORT/PATH URL (https is not supported for webhooks), got "ftp://127.0.0.1/hooks""#),
        .init(#""http://127.0.0.1:9000/hooks/sluice""#, #""https://hooks.example.com/x""#, "webhook", #"expected an http://HOST:PORT/PATH URL (https is not supported for webhooks), got "https://hooks.example.com/x""#),
        .init(#""http://127.0.0.1:9000/hooks/sluice""#, "null", "webhook", "expected a string, got null"),
        .init(#""stable": "blue""#, #""stable": "blue", "upgrades": ["websocket", "h2c"]"#, "upgrades[1]", "h2c is never tunnelled: its requests would pass every route rule unseen"),
        .init(#""stable": "blue""#, #""stable": "blue", "upgrades": ["web socket"]"#, "upgrades[0]", #"expected a protocol name such as "websocket" (letters, digits and !#$%&'*+-.^_`|~), got "web socket""#),
        .init(#""stable": "blue""#, #""stable": "blue", "upgrades": "websocket""#, "upgrades", #"expected an array, got a string ("websocket")"#),
    ]

    @Test(arguments: brokenFields)
    func reportsABrokenField(_ broken: BrokenField) throws {
        let directory = try RouteDirectory(["api.json": editedExample(broken.edits)])
        let file = directory.file("api.json")
        #expect(directory.errors() == broken.expected.map { RouteFileError(file: file, keyPath: $0.keyPath, message: $0.message) })
    }

    @Test func reportsMissingPoolsOnce() throws {
        let text = #"{"name": "x"}"#
        let directory = try RouteDirectory(["x.json": text])
        #expect(directory.errors() == [RouteFileError(file: directory.file("x.json"), keyPath: "pools", message: "is required")])
        let partial = try RouteDirectory(["x.json": #"{"name": "x", "pools": {"blue": {"backends": ["127.0.0.1:1"]}}}"#])
        #expect(partial.errors() == [RouteFileError(file: partial.file("x.json"), keyPath: "pools.green", message: "is required")])
    }

    @Test func reportsInvalidJSONWithLineAndColumn() throws {
        let directory = try RouteDirectory(["bad.json": "{\n  \"name\": \"x\",\n  \"pools\": }\n"])
        #expect(directory.errors() == [RouteFileError(file: directory.file("bad.json"), keyPath: "", message: "invalid JSON at line 3, column 12: Invalid value")])
    }

    @Test func reportsTruncatedJSONAndWrongTopLevel() throws {
        let directory = try RouteDirectory(["a.json": #"{"name": "x""#, "b.json": "[1, 2]", "c.json": ""])
        let errors = directory.errors()
        #expect(errors.map(\.file) == [directory.file("a.json"), directory.file("b.json"), directory.file("c.json")])
        #expect(errors.map(\.keyPath) == ["", "", ""])
        #expect(errors[0].message.hasPrefix("invalid JSON"))
        #expect(errors[1].message == "expected an object, got an array")
        #expect(errors[2].message.hasPrefix("invalid JSON"))
    }

    @Test func reportsEveryErrorOfEveryFile() throws {
        let first = editedExample([
            (#""interval": "2s""#, #""interval": "soon""#),
            (#""127.0.0.1:8003""#, #""nope.invalid:8003""#),
            (#""stable": "blue""#, #""stable": "purple""#),
        ])
        let second = editedExample([
            (#""name": "api""#, #""name": "web""#),
            (#""host": "api.example.com""#, #""host": "web.example.com""#),
            (#""attempts": 2"#, #""attempts": -1"#),
        ])
        let directory = try RouteDirectory(["a.json": first, "b.json": second, "c.txt": "not a route", ".hidden.json": "{"])
        let errors = directory.errors()
        #expect(errors.map { "\($0.file.split(separator: "/").last!) \($0.keyPath)" } == [
            "a.json pools.green.backends[1]",
            "a.json stable",
            "a.json health.interval",
            "b.json retries.attempts",
        ])
    }

    @Test func reportsDuplicateNamesAndMatchRules() throws {
        let other = editedExample([(#""host": "api.example.com""#, #""host": "other.example.com""#)])
        let sameMatch = editedExample([(#""name": "api""#, #""name": "api-copy""#)])
        let directory = try RouteDirectory(["a.json": specExample, "b.json": other, "c.json": sameMatch])
        #expect(directory.errors() == [
            RouteFileError(file: directory.file("b.json"), keyPath: "name", message: "route name \"api\" is already used by \(directory.file("a.json"))"),
            RouteFileError(file: directory.file("c.json"), keyPath: "match",
                           message: "host \"api.example.com\" with pathPrefix \"/\" is already matched by route \"api\" in \(directory.file("a.json"))"),
        ])
    }

    @Test func defaultMatchRulesCollideToo() throws {
        let a = #"{"name": "a", "pools": {"blue": {"backends": ["127.0.0.1:1"]}, "green": {"backends": ["127.0.0.1:2"]}}}"#
        let b = #"{"name": "b", "match": {"pathPrefix": "/"}, "pools": {"blue": {"backends": ["127.0.0.1:1"]}, "green": {"backends": ["127.0.0.1:2"]}}}"#
        let directory = try RouteDirectory(["a.json": a, "b.json": b])
        #expect(directory.errors() == [
            RouteFileError(file: directory.file("b.json"), keyPath: "match", message: "any host with pathPrefix \"/\" is already matched by route \"a\" in \(directory.file("a.json"))"),
        ])
    }

    @Test func loadsSeveralFilesInNameOrder() throws {
        let web = editedExample([(#""name": "api""#, #""name": "web""#), (#""host": "api.example.com""#, #""host": "*.example.com""#)])
        let directory = try RouteDirectory(["20-web.json": web, "10-api.json": specExample, "notes.md": "# not a route"])
        let table = try directory.load().get()
        #expect(table.routes.map(\.name) == ["api", "web"])
        let index = Array("api.example.com".utf8).withUnsafeBytes { host in
            Array("/x".utf8).withUnsafeBytes { table.match(host: host, path: $0) }
        }
        #expect(index == 0)
    }

    @Test func refusesMissingOrEmptyDirectories() throws {
        let missing = "/nonexistent/sluice-routes"
        guard case .failure(let failure) = RouteLoader.load(directory: missing) else {
            Issue.record("a missing directory loaded")
            return
        }
        #expect(failure.errors == [RouteFileError(file: missing, keyPath: "", message: "no such routes directory")])
        let empty = try RouteDirectory(["readme.txt": "nothing here"])
        #expect(empty.errors() == [RouteFileError(file: empty.path, keyPath: "", message: "no route files (*.json) in the routes directory")])
    }

    @Test func errorsPrintWithFileAndKeyPath() {
        let error = RouteFileError(file: "routes/api.json", keyPath: "pools.green.backends[1]", message: "cannot resolve host \"nope.invalid\"")
        #expect(error.description == "routes/api.json: pools.green.backends[1]: cannot resolve host \"nope.invalid\"")
        #expect(RouteFileError(file: "routes", keyPath: "", message: "no such routes directory").description == "routes: no such routes directory")
        let failure = RouteLoadFailure(errors: [error, error])
        #expect(failure.description == error.description + "\n" + error.description)
    }
}
