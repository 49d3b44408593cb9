import ProxyIO
import Traffic

/// The admin API's endpoints (docs/admin-api.md): one line each in `router`, and the
/// handlers that only read.
extension ControlPlane {
    typealias Endpoint = AdminRouter<ControlPlane>.Endpoint
    typealias Call = AdminRouter<ControlPlane>.Call

    /// Every endpoint; a new one is one line here.
    static let router = AdminRouter<ControlPlane>([
        Endpoint("GET", "/health", open: true) { _, _, reply in reply.send(json(200, ["status": "ok"])) },
        Endpoint("GET", "/health/live", open: true) { _, _, reply in reply.send(json(200, ["status": "ok"])) },
        Endpoint("GET", "/health/ready", open: true) { plane, _, reply in
            reply.send(json(200, .object(["status": "ok"].merging(plane.stateSavedJSON()) { $1 })))
        },
        Endpoint("GET", "/metrics", open: true) { plane, _, reply in reply.send(plane.metrics()) },
        Endpoint("GET", "/routes") { plane, _, reply in plane.listRoutes(reply) },
        Endpoint("GET", "/routes/{name}") { plane, call, reply in plane.showRoute(call, reply) },
        Endpoint("PUT", "/routes/{name}/weights") { plane, call, reply in plane.setWeights(call, reply) },
        Endpoint("GET", "/routes/{name}/rollout") { plane, call, reply in plane.showRollout(call, reply) },
        Endpoint("POST", "/routes/{name}/rollout") { plane, call, reply in plane.startRollout(call, reply) },
        Endpoint("POST", "/routes/{name}/rollout/pause") { plane, call, reply in plane.command(.pause, call, reply) },
        Endpoint("POST", "/routes/{name}/rollout/resume") { plane, call, reply in plane.command(.resume, call, reply) },
        Endpoint("POST", "/routes/{name}/rollout/promote") { plane, call, reply in plane.command(.promote, call, reply) },
        Endpoint("POST", "/routes/{name}/rollout/abort") { plane, call, reply in plane.command(.abort, call, reply) },
        Endpoint("POST", "/routes/{name}/rollback") { plane, call, reply in plane.command(.rollback, call, reply) },
        Endpoint("POST", "/reload") { plane, _, reply in plane.reload(actor: plane.token?.name ?? "admin") { reply.send($0) } },
        Endpoint("GET", "/events") { plane, call, reply in plane.listEvents(call, reply) },
        Endpoint("GET", "/routes/{name}/history") { plane, call, reply in plane.history(call, reply) },
        Endpoint("GET", "/fleet") { plane, _, reply in plane.showFleet(reply) },
    ] + dashboardFiles.map { file in
        Endpoint("GET", file.path, open: true) { _, _, reply in reply.send(dashboardFile(file.type, file.text)) }
    })

    /// `GET /routes`.
    private func listRoutes(_ reply: AdminReply) {
        let totals = StatsTotals(workers: server?.workerStats() ?? [])
        reply.send(Self.json(200, ["routes": .array(routes.routes.map { describe($0, totals) }),
                                   "requestsByProtocol": totals.requestsByProtocolJSON]))
    }

    /// `GET /routes/{name}`.
    private func showRoute(_ call: Call, _ reply: AdminReply) {
        guard let route = route(call, reply) else { return }
        reply.send(Self.json(200, describe(route, StatsTotals(workers: server?.workerStats() ?? []))))
    }

    /// `GET /routes/{name}/rollout`.
    private func showRollout(_ call: Call, _ reply: AdminReply) {
        guard let route = route(call, reply) else { return }
        reply.send(Self.json(200, rolloutStatus(route)))
    }

    /// The route the call's `{name}` names; nil, with 404 sent, when there is none.
    func route(_ call: Call, _ reply: AdminReply) -> Route? {
        let name = call.parameters["name"] ?? ""
        guard let route = route(named: name) else {
            reply.send(Self.error(404, "no route named \(name)"))
            return nil
        }
        return route
    }

    /// `GET /events?since=ID&limit=N[&route=R][&type=T]`: the events after `since` that match
    /// the filters, oldest first, at most `limit`. `next` is the `since` of the next page (the
    /// last event looked at), `more` whether events after it exist, and `latest` the newest
    /// event's id overall.
    private func listEvents(_ call: Call, _ reply: AdminReply) {
        let query = call.request.query
        let since = Int(query["since"] ?? "0") ?? -1
        let limit = Int(query["limit"] ?? "1000") ?? -1
        guard since >= 0, (1...10_000).contains(limit) else {
            return reply.send(Self.json(400, ["error": "since must be an event id (0 for all) and limit 1 to 10000",
                                               "detail": .array([.string("since=\(query["since"] ?? "")"), .string("limit=\(query["limit"] ?? "")")])]))
        }
        let type = query["type"]
        if let type, EventType(rawValue: type) == nil {
            let types = EventType.allCases.map(\.rawValue).joined(separator: ", ")
            return reply.send(Self.json(400, ["error": .string("type must be one of \(types)"), "detail": .array([.string("type=\(type)")])]))
        }
        let route = query["route"]
        // In a fleet the fleet's log from the store, ids being store revisions; else the local one.
        let fleetLog = fleet.map { let all = $0.events; return EventRing(capacity: max(1, all.count), events: all) }
        let page: (Int) -> [Event] = { fleetLog?.events(since: $0, limit: 1_000) ?? self.events.events(since: $0, limit: 1_000) }
        var list: [Event] = []
        var next = since
        scanning: while list.count < limit {
            let page = page(next)
            guard !page.isEmpty else { break }
            for event in page {
                next = event.id
                guard route == nil || event.route == route, type == nil || event.type.rawValue == type else { continue }
                list.append(event)
                if list.count == limit { break scanning }
            }
        }
        let latest = fleetLog?.latestID ?? events.latestID
        reply.send(Self.json(200, ["events": .array(list.map(\.json)), "next": .number(Double(next)),
                                   "more": .bool(next < latest), "latest": .number(Double(latest))]))
    }
}
