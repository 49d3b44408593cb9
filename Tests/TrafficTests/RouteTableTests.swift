import Testing
import Traffic

struct RouteTableTests {
    private func route(_ name: String, host: String? = nil, prefix: String = "/") throws -> Route {
        let backend = BackendAddress(label: "127.0.0.1:8001", ip: .v4(0x7F00_0001), port: 8001)
        return Route(
            name: name, host: try host.map { try #require(HostPattern(parsing: $0)) }, pathPrefix: Array(prefix.utf8),
            blue: PoolConfig(backends: [backend]), green: PoolConfig(backends: [backend])
        )
    }

    /// The name of the route matched for a request, or nil.
    private func match(_ table: RouteTable, host: String?, _ path: String) -> String? {
        let index = withBytes(path) { path in
            if let host {
                return withBytes(host) { table.match(host: $0, path: path) }
            }
            return table.match(host: nil, path: path)
        }
        return index.map { table.routes[$0].name }
    }

    @Test func hostSpecificityThenLongestPrefix() throws {
        let table = RouteTable(routes: [
            try route("any-root"),
            try route("any-api", prefix: "/api"),
            try route("wild-root", host: "*.example.com"),
            try route("deep-wild", host: "*.eu.example.com"),
            try route("exact-v2", host: "api.example.com", prefix: "/v2"),
            try route("exact-v2-long", host: "api.example.com", prefix: "/v2/admin"),
            try route("other-exact", host: "other.test"),
        ])
        #expect(match(table, host: "api.example.com", "/v2/users") == "exact-v2")
        #expect(match(table, host: "api.example.com", "/v2/admin/x") == "exact-v2-long")
        // the exact host's prefixes do not cover /v1: the wildcard route takes it
        #expect(match(table, host: "api.example.com", "/v1") == "wild-root")
        #expect(match(table, host: "www.example.com", "/api/x") == "wild-root")
        #expect(match(table, host: "x.y.example.com", "/") == "wild-root")
        #expect(match(table, host: "a.eu.example.com", "/") == "deep-wild")
        #expect(match(table, host: "example.com", "/api/x") == "any-api")
        #expect(match(table, host: "example.com", "/") == "any-root")
        #expect(match(table, host: "other.test", "/api") == "other-exact")
        #expect(match(table, host: nil, "/api?x=1") == "any-api")
        #expect(match(table, host: nil, "/ap") == "any-root")
        #expect(match(table, host: "", "/api") == "any-api")
    }

    @Test func hostHeaderForms() throws {
        let table = RouteTable(routes: [
            try route("api", host: "api.example.com"),
            try route("v6", host: "[::1]"),
            try route("v4", host: "10.0.0.1"),
        ])
        #expect(match(table, host: "api.example.com", "/") == "api")
        #expect(match(table, host: "API.Example.Com", "/") == "api")
        #expect(match(table, host: "api.example.com:8080", "/") == "api")
        #expect(match(table, host: "api.example.com.", "/") == "api")
        #expect(match(table, host: "api.example.com.:443", "/") == "api")
        #expect(match(table, host: "[::1]:8080", "/") == "v6")
        #expect(match(table, host: "[::1]", "/") == "v6")
        #expect(match(table, host: "10.0.0.1:80", "/") == "v4")
        #expect(match(table, host: "api.example.comx", "/") == nil)
        #expect(match(table, host: "xapi.example.com", "/") == nil)
        #expect(match(table, host: "[::2]:8080", "/") == nil)
        #expect(match(table, host: nil, "/") == nil)
    }

    @Test func wildcardNeedsASubdomain() throws {
        let table = RouteTable(routes: [try route("wild", host: "*.example.com")])
        #expect(match(table, host: "a.example.com", "/") == "wild")
        #expect(match(table, host: "A.EXAMPLE.COM:80", "/") == "wild")
        #expect(match(table, host: "example.com", "/") == nil)
        #expect(match(table, host: ".example.com", "/") == nil)
        #expect(match(table, host: "aexample.com", "/") == nil)
    }

    @Test func prefixIsAPlainBytePrefix() throws {
        let table = RouteTable(routes: [try route("api", prefix: "/api"), try route("static", prefix: "/static/")])
        #expect(match(table, host: nil, "/api") == "api")
        #expect(match(table, host: nil, "/apix") == "api")
        #expect(match(table, host: nil, "/api/v1?q=1") == "api")
        #expect(match(table, host: nil, "/API") == nil)
        #expect(match(table, host: nil, "/static") == nil)
        #expect(match(table, host: nil, "/static/app.js") == "static")
        #expect(match(table, host: nil, "/") == nil)
        #expect(match(table, host: nil, "") == nil)
    }

    @Test func returnsIndexesInLoadOrder() throws {
        let table = RouteTable(routes: [try route("a", prefix: "/a"), try route("b", host: "b.test")])
        #expect(withBytes("/a/1") { table.match(host: nil, path: $0) } == 0)
        #expect(withBytes("b.test") { host in withBytes("/a/1") { table.match(host: host, path: $0) } } == 1)
        #expect(RouteTable(routes: []).routes.isEmpty)
        #expect(withBytes("/") { RouteTable(routes: []).match(host: nil, path: $0) } == nil)
    }

    @Test func routeDefaultsFollowTheStablePool() throws {
        let blue = try route("r")
        #expect(blue.stable == .blue)
        #expect(blue.greenWeight == .zero)
        #expect(blue.pathPrefix == Array("/".utf8))
        #expect(blue.pool(.green) == blue.green)
        let backend = BackendAddress(label: "b:1", ip: .v4(1), port: 1)
        let green = Route(name: "g", blue: PoolConfig(backends: []), green: PoolConfig(backends: [backend]), stable: .green)
        #expect(green.greenWeight == .full)
        #expect(green.pool(.green).backends == [backend])
        #expect(green.health == HealthConfig(path: "/health", intervalMs: 2_000, timeoutMs: 1_000, unhealthyAfter: 3, healthyAfter: 2))
        #expect(green.timeouts == Timeouts(connectMs: 1_000, firstByteMs: 30_000, idleMs: 60_000))
        #expect(green.retries == RetryPolicy(attempts: 2, onConnectFailure: true, onResetBeforeResponse: true))
        #expect(OverrideConfig().allowFrom.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(OverrideConfig().header == "X-Sluice-Pool")
        #expect(StickyConfig(by: .cookie).name == "sluice_id")
    }
}
