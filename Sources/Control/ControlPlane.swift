import Foundation
public import ProxyIO
public import Traffic

/// The control side's state and decisions: the loaded routes, the weights set at run time,
/// and the admin API on top of them. Confined to the admin loop's thread (requests arrive
/// there, and SIGHUP reloads are sent there with `AdminLoopHandle.perform`), so it needs
/// no locks; the only cross-thread step is installing a snapshot in the workers.
public final class ControlPlane: @unchecked Sendable { // confined to the admin loop thread
    private let routesDirectory: String
    private var routes: RouteTable
    /// Weights set through the API, by route name; they win over the route files'.
    private var weightOverrides: [String: Weight] = [:]
    private let server: ProxyServer
    private let token: AdminToken?

    public init(routesDirectory: String, routes: RouteTable, server: ProxyServer, token: AdminToken?) {
        self.routesDirectory = routesDirectory
        self.routes = routes
        self.server = server
        self.token = token
    }

    /// The snapshot the workers should run: the route files with the run-time weights.
    public func snapshot() -> RoutingSnapshot {
        RoutingSnapshot(table: RouteTable(routes: routes.routes.map { route in
            var r = route
            if let w = weightOverrides[route.name] { r.greenWeight = w }
            return r
        }))
    }

    // MARK: Requests

    /// Runs on the admin loop for every admin request; answers through `reply`.
    public func handle(_ request: AdminRequest, _ reply: AdminReply) {
        let path = request.path.split(separator: "/").map(String.init)
        switch (request.method, path.first ?? "") {
        case ("GET", "health"):
            return reply.send(Self.json(200, ["status": "ok"]))
        case (_, "health"):
            return reply.send(Self.error(405, "use GET"))
        default:
            break
        }
        guard let token else {
            return reply.send(Self.error(403, "no admin token is configured (set SLUICE_ADMIN_TOKEN or --admin-token-file)"))
        }
        guard token.accepts(authorization: request.headers["authorization"]) else {
            return reply.send(Self.error(401, "missing or wrong bearer token"))
        }
        let method = request.method
        if method == "GET" && path == ["routes"] {
            reply.send(Self.json(200, ["routes": routes.routes.map(describe)]))
        } else if method == "GET" && path.count == 2 && path[0] == "routes" {
            guard let route = route(named: path[1]) else { return reply.send(Self.error(404, "no route named \(path[1])")) }
            reply.send(Self.json(200, describe(route)))
        } else if method == "PUT" && path.count == 3 && path[0] == "routes" && path[2] == "weights" {
            setWeights(path[1], request.body, reply)
        } else if method == "POST" && path == ["reload"] {
            reload { reply.send($0) }
        } else {
            reply.send(Self.error(404, "no such endpoint: \(method) \(request.path)"))
        }
    }

    /// `PUT /routes/{name}/weights`: `{"green": P}` or `{"blue": P}` (or both, adding to 100).
    /// Answers only once every worker routes with the new split.
    private func setWeights(_ name: String, _ body: [UInt8], _ reply: AdminReply) {
        guard let route = route(named: name) else { return reply.send(Self.error(404, "no route named \(name)")) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return reply.send(Self.error(400, "the body must be a JSON object such as {\"green\": 10}"))
        }
        let unknown = Set(object.keys).subtracting(["blue", "green", "force"])
        guard unknown.isEmpty else { return reply.send(Self.error(422, "unknown key \(unknown.sorted().joined(separator: ", "))")) }
        func percent(_ key: String) -> Weight?? {
            guard let value = object[key] else { return .some(nil) }
            guard let number = Self.number(value), let w = Weight(percent: number) else { return nil }
            return .some(w)
        }
        guard let green = percent("green"), let blue = percent("blue") else {
            return reply.send(Self.error(422, "weights are percentages from 0 to 100 with at most two decimals"))
        }
        let weight: Weight
        switch (green, blue) {
        case (let g?, let b?):
            guard g.basisPoints + b.basisPoints == 10_000 else { return reply.send(Self.error(422, "blue and green must add up to 100")) }
            weight = g
        case (let g?, nil): weight = g
        case (nil, let b?): weight = b.complement
        case (nil, nil): return reply.send(Self.error(422, "give the green (or blue) weight, e.g. {\"green\": 10}"))
        }
        weightOverrides[route.name] = weight
        let answer = Self.json(200, describe(self.route(named: name)!))
        server.install(snapshot()) { reply.send(answer) }
        EventLog.write(.info, "weights changed", ["route": route.name, "green": weight.percentText])
    }

    /// Reloads the route files (SIGHUP or `POST /reload`). A valid set replaces the old one
    /// in every worker (run-time weights still win); an invalid one is refused whole and the
    /// old one keeps serving. `done` gets the answer once the new set is live everywhere.
    public func reload(_ done: @escaping @Sendable (AdminResponse) -> Void = { _ in }) {
        switch RouteLoader.load(directory: routesDirectory) {
        case .success(let table):
            routes = table
            let names = table.routes.map(\.name)
            weightOverrides = weightOverrides.filter { names.contains($0.key) }
            let answer = Self.json(200, ["reloaded": true, "routes": names])
            server.install(snapshot()) { done(answer) }
            EventLog.write(.info, "routes reloaded", ["routes": names])
        case .failure(let failure):
            let errors = failure.errors.map(\.description)
            EventLog.write(.error, "reload refused: the route files have errors; the previous routes keep serving", ["errors": errors])
            done(Self.json(422, ["error": "the route files have errors; the previous routes keep serving", "detail": errors]))
        }
    }

    // MARK: JSON

    private func route(named name: String) -> Route? {
        routes.routes.first { $0.name == name }.map { route in
            var r = route
            if let w = weightOverrides[name] { r.greenWeight = w }
            return r
        }
    }

    private func describe(_ route: Route) -> [String: Any] {
        let effective = self.route(named: route.name) ?? route
        func pool(_ p: PoolConfig) -> [String: Any] { ["backends": p.backends.map { ["address": $0.label] }] }
        var match: [String: Any] = ["pathPrefix": String(decoding: route.pathPrefix, as: UTF8.self)]
        if let host = route.host { match["host"] = host.description }
        return [
            "name": route.name,
            "match": match,
            "stable": route.stable.name,
            "weights": ["green": Self.number(effective.greenWeight), "blue": Self.number(effective.greenWeight.complement)],
            "pools": ["blue": pool(route.blue), "green": pool(route.green)],
            "rollout": ["state": "idle"],
        ]
    }

    /// A decoded JSON number (never a JSON `true`/`false`, which Foundation may also
    /// hand out as a number).
    private static func number(_ value: Any) -> Double? {
        if type(of: value) == Bool.self { return nil }
        if let i = value as? Int { return Double(i) }
        if let d = value as? Double { return d }
        return nil
    }

    /// A weight as a JSON number in percent (10, 10.25).
    private static func number(_ w: Weight) -> Any {
        w.basisPoints % 100 == 0 ? w.basisPoints / 100 : Double(w.basisPoints) / 100
    }

    static func json(_ status: Int, _ object: Any) -> AdminResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return AdminResponse(status: status, body: Array(data) + [0x0A])
    }

    static func error(_ status: Int, _ message: String) -> AdminResponse {
        json(status, ["error": message, "detail": NSNull()])
    }
}
