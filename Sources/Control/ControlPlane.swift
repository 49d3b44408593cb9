import Dispatch
public import ProxyIO
import Synchronization
public import Traffic

/// The control side's state and decisions: the loaded routes, the weights set at run time,
/// and the admin API on top of them. Confined to the admin loop's thread (requests arrive
/// there, and SIGHUP reloads are sent there with `AdminLoopHandle.perform`), with two
/// exceptions: `health`, written by the health checker's thread and so behind a `Mutex`,
/// and the event store, which is thread-safe. The workers are reached through `DataPlane`.
public final class ControlPlane: @unchecked Sendable { // confined to the admin loop thread but for `health` and `events`
    private let routesDirectory: String
    private(set) var routes: RouteTable
    /// Weights and stable pools set at run time, by route name; they win over the route
    /// files' and are kept in the state directory.
    var runtime: [String: RouteState]
    private let state: StateStore
    let events: EventStore
    let token: AdminToken?
    /// Set once by `start(server:)`, right after the data plane is up.
    private(set) var server: (any DataPlane)?
    /// The TLS listener's certificates, loaded again with the route files on every reload
    /// (nil without a TLS listener). Set at start, before the first reload.
    public var certificates: TLSCertificates?
    /// Active health of each backend by address, from the health checker's flips.
    let health = Mutex<[String: Bool]>([:])
    /// Request counts per route and pool, sampled once a second for the last 10 s.
    private var rates = RequestRates()
    /// Each route's last 15 minutes of per-second figures, by route name, for the dashboard.
    var recent: [String: RecentSeconds] = [:]
    /// Each route's rollout state machine, by route name (made on first use).
    var machines: [String: RolloutStateMachine] = [:]
    /// The workers' cumulative judge evidence per route at the last tick.
    var evidenceSeen: [String: SecondEvidence] = [:]
    let webhooks = WebhookSender()
    /// Automatic reverts since start per route and reason code, for the metrics.
    var reverts: [String: [String: Int]] = [:]
    /// Milliseconds of a monotonic clock: the rollouts' time.
    let clock: @Sendable () -> Int
    /// Set while a decision is in memory but not in `state.json`; retried every tick.
    var pendingSave: PendingSave?
    /// The fleet this instance belongs to (`--store`); set by `join` before anything serves.
    /// With it, run-time weights live in the store, not in the state dir.
    var fleet: FleetLink?
    /// Runs work on the admin loop (set by `attach(loop:)` once the admin loop is up): how
    /// the store's answers come back to this confined state.
    let loop = Mutex<(@Sendable (@escaping @Sendable () -> Void) -> Void)?>(nil)
    /// Per route, the store revision of the shared weights applied here.
    var sharedRevisions: [String: Int64] = [:]
    /// Per route, the store revision of the shared rollout record applied here.
    var rolloutRevisions: [String: Int64] = [:]
    /// Routes whose write to the store is under way (the leader does not judge them then).
    var fleetWriting: Set<String> = []
    /// The leader's sum of every instance's evidence (made anew whenever it does not lead).
    var fleetEvidence = FleetEvidence()

    /// `saved`: the state file read at start (nil for none or `--reset-state`); entries for
    /// routes that no longer exist are dropped. `clock`: monotonic milliseconds (default
    /// `DispatchTime`), for the rollouts' holds. Throws when a saved rollout cannot be resumed
    /// (an inconsistent record), naming the route: the caller must not guess.
    public init(routesDirectory: String, routes: RouteTable, token: AdminToken?, state: StateStore,
                events: EventStore, saved: StateFile?,
                clock: (@Sendable () -> Int)? = nil) throws(StateError) {
        self.routesDirectory = routesDirectory
        self.routes = routes
        self.token = token
        self.state = state
        self.events = events
        self.clock = clock ?? { Int(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
        let names = Set(routes.routes.map(\.name))
        runtime = (saved?.routes ?? [:]).filter { names.contains($0.key) }
        for (name, saved) in runtime {
            guard let record = saved.rollout else { continue }
            guard let (progress, judge) = RolloutRecord.decode(record),
                  let machine = RolloutStateMachine(stable: saved.stable, rollout: progress, judge: judge)
            else {
                throw StateError(file: state.path, message: "routes.\(name).rollout: the saved rollout is inconsistent and cannot be resumed")
            }
            machines[name] = machine
        }
    }

    /// Hands over the running data plane (whose first snapshot came from `snapshot()`).
    public func start(server: any DataPlane) { self.server = server }

    /// The snapshot the workers should run: the route files with the run-time state.
    public func snapshot() -> RoutingSnapshot {
        RoutingSnapshot(table: RouteTable(routes: routes.routes.map(effective)))
    }

    /// A route as it is served: the run-time weight and stable pool applied.
    func effective(_ route: Route) -> Route {
        guard let saved = runtime[route.name] else { return route }
        var r = route
        r.greenWeight = saved.greenWeight
        r.stable = saved.stable
        return r
    }

    /// Records an event and returns it (in a fleet with `details.instance`, the instance that
    /// recorded it, and queued for the store's audit log); a failure to write it is logged, never fatal to the request (nil then).
    @discardableResult
    func record(_ type: EventType, route: String? = nil, actor: String, reason: String? = nil,
                details: [String: JSONValue] = [:]) -> Event? {
        var details = details
        if let fleet { details["instance"] = .string(fleet.name) }
        do {
            let event = try events.append(type: type, route: route, actor: actor, reason: reason, details: details)
            if let fleet, !fleet.store(event: event) {
                EventLog.write(.error, "too many events wait for the store; this one is only in the local log", ["id": .number(Double(event.id))])
            }
            return event
        } catch {
            EventLog.write(.error, "cannot write the event log", ["error": .string(error.description)])
            return nil
        }
    }

    /// A backend's active health flipped (called from the health checker's thread; the
    /// event store is thread-safe).
    public func healthChanged(backend: String, healthy: Bool) {
        health.withLock { $0[backend] = healthy }
        record(.health, actor: "sluice", reason: healthy ? "health checks pass" : "health checks fail",
               details: ["backend": .string(backend), "healthy": .bool(healthy)])
    }

    /// Runs on the admin loop once a second: samples the request counts for live rates and
    /// judges every route's rollout on the second's evidence.
    public func everySecond() {
        let totals = StatsTotals(workers: server?.workerStats() ?? [])
        rates.sample(totals, nowMs: Int64(clock()))
        tickRollouts(totals)
        fleet?.publish(evidence: totals.evidence)
    }

    /// Records the start or stop of the process.
    public func recordLifecycle(_ type: EventType, details: [String: JSONValue] = [:]) {
        record(type, actor: "sluice", details: details)
    }

    // MARK: Requests

    /// Runs on the admin loop for every admin request; answers through `reply`. The token is
    /// checked first (but for the open endpoints), then the method: a known path with the
    /// wrong method gets 405 with `Allow`.
    public func handle(_ request: AdminRequest, _ reply: AdminReply) {
        let match = Self.router.match(request)
        if !match.isOpen {
            guard let token else {
                return reply.send(Self.error(403, "no admin token is configured (set SLUICE_ADMIN_TOKEN or --admin-token-file)"))
            }
            guard token.accepts(authorization: request.headers["authorization"]) else {
                var answer = Self.error(401, "missing or wrong bearer token")
                answer.headers = [("WWW-Authenticate", "Bearer realm=\"sluice\"")]
                return reply.send(answer)
            }
        }
        switch match {
        case .found(let endpoint, let call):
            endpoint.handler(self, call, reply)
        case .wrongMethod(let allowed, _):
            var answer = Self.error(405, "\(request.path) takes \(allowed.joined(separator: ", ")), not \(request.method)")
            answer.headers = [("Allow", allowed.joined(separator: ", "))]
            reply.send(answer)
        case .unknown:
            reply.send(Self.error(404, "no such endpoint: \(request.method) \(request.path)"))
        }
    }

    /// `PUT /routes/{name}/weights`: `{"green": P}` or `{"blue": P}` (or both, adding to 100),
    /// with an optional `"reason"` for the event log. Refused (409) while a rollout runs unless
    /// `"force": true`, which pauses it first (auto-revert stays armed).
    /// Answers only once every worker routes with the new split.
    func setWeights(_ call: Call, _ reply: AdminReply) {
        guard let route = route(call, reply) else { return }
        guard case .object(let object)? = try? JSONValue(parsing: call.request.body) else {
            return reply.send(Self.error(400, "the body must be a JSON object such as {\"green\": 10}"))
        }
        let unknown = Set(object.keys).subtracting(["blue", "green", "reason", "force"])
        guard unknown.isEmpty else { return reply.send(Self.error(422, "unknown key \(unknown.sorted().joined(separator: ", "))")) }
        func percent(_ key: String) -> Weight?? {
            guard let value = object[key] else { return .some(nil) }
            guard case .number(let number) = value, let w = Weight(percent: number) else { return nil }
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
        if let reason = object["reason"], reason.stringValue == nil {
            return reply.send(Self.error(422, "reason must be a string"))
        }
        if let force = object["force"], force.boolValue == nil {
            return reply.send(Self.error(422, "force must be true or false"))
        }
        let why = object["reason"]?.stringValue
        let force = object["force"]?.boolValue == true
        let actor = token?.name ?? "admin"
        var pausedRollout = false
        if let machine = machines[route.name], machine.state.isActive, !force {
            return reply.send(Self.error(409, "a rollout is \(machine.state.rawValue) on \(route.name); add \"force\": true (sluice ctl weights --force) to pause it and set the weights"))
        }
        func change() {
            if machines[route.name]?.state == .running {
                _ = try? machines[route.name]?.handle(.pause, now: clock())
                pausedRollout = true
            }
            runtime[route.name] = RouteState(greenWeight: weight, stable: route.stable, updatedBy: actor)
        }
        if fleet != nil {
            let next = staged(route.name, change)
            return share(route, next, pausedRollout ? [.paused] : [], fenced: false, actor: actor, reason: why) { [self] failure in
                if let failure { return reply.send(failure) }
                recordWeights(route, weight, actor: actor, why: why)
                reply.send(Self.json(200, describe(self.route(named: route.name) ?? route, StatsTotals(workers: server?.workerStats() ?? []))))
            }
        }
        if let failure = saveOrRollBack(route.name, unchanged: "the weights are unchanged", change) { return reply.send(failure) }
        if pausedRollout { announce(.paused, route: route.name, actor: actor) }
        recordWeights(route, weight, actor: actor, why: why)
        let answer = Self.json(200, describe(self.route(named: route.name)!, StatsTotals(workers: server?.workerStats() ?? [])))
        install { reply.send(answer) }
    }

    /// Records and logs an operator's weight change on `route` (as it was before it).
    func recordWeights(_ route: Route, _ weight: Weight, actor: String, why: String?) {
        record(.weights, route: route.name, actor: actor, reason: why,
               details: ["from": ["blue": Self.number(route.greenWeight.complement), "green": Self.number(route.greenWeight)],
                         "to": ["blue": Self.number(weight.complement), "green": Self.number(weight)]])
        var logged: [String: JSONValue] = ["route": .string(route.name), "green": Self.number(weight), "blue": Self.number(weight.complement),
                                           "by": .string(actor)]
        if let why { logged["reason"] = .string(why) }
        EventLog.write(.info, "weights changed", logged)
    }

    /// The one transaction of an operator's change to route `name`: `change` edits `runtime`
    /// and `machines`, then the state is saved. When the save fails, the route's run-time
    /// state and machine are put back as they were, the failure is logged, and the 500 answer
    /// is returned (nil once saved): nothing changed.
    func saveOrRollBack(_ name: String, unchanged: String, _ change: () -> Void) -> AdminResponse? {
        let previous = (runtime[name], machines[name])
        change()
        do {
            try saveState()
            return nil
        } catch {
            (runtime[name], machines[name]) = previous
            EventLog.write(.error, "cannot save the state; \(unchanged)", ["route": .string(name), "error": .string(error.description)])
            return Self.error(500, "cannot save the state: \(error.description)")
        }
    }

    /// Writes every route's run-time state (weights, stable pool, rollout progress and
    /// evidence) to the state dir; returns once it is on disk.
    func saveState() throws(StateError) {
        var file = runtime
        for (name, machine) in machines {
            guard let progress = machine.rollout, let judge = machine.judgeState else { continue }
            file[name]?.rollout = RolloutRecord.encode(progress, judge: judge)
        }
        try state.save(StateFile(routes: file))
        if let pending = pendingSave {
            pendingSave = nil
            EventLog.write(.info, "the state is saved again", ["unsavedFor": .string(formatDuration(ms: clock() - pending.sinceMs))])
        }
    }

    /// `stateSaved` true, or the pending save's fields: for status and `/health/ready`.
    func stateSavedJSON() -> [String: JSONValue] {
        pendingSave?.json(nowMs: clock()) ?? ["stateSaved": true]
    }

    /// Sends the current snapshot to every worker; `applied` runs once all use it.
    func install(_ applied: @escaping @Sendable () -> Void) {
        guard let server else { return applied() }
        server.install(snapshot(), applied: applied)
    }

    /// Reloads the route files and the TLS certificates (SIGHUP or `POST /reload`). A valid
    /// set replaces the old one in every worker (run-time weights still win; open TLS
    /// connections keep their certificates); an invalid one is refused whole and the old
    /// one keeps serving. `done` gets the answer once the new set is live everywhere.
    public func reload(actor: String, _ done: @escaping @Sendable (AdminResponse) -> Void = { _ in }) {
        let table: RouteTable
        switch RouteLoader.load(directory: routesDirectory) {
        case .success(let t):
            table = t
        case .failure(let failure):
            return refuseReload(actor: actor, reason: "the route files have errors", errors: failure.errors.map(\.description), done)
        }
        var reloadedCertificates: TLSCertificates? = nil
        do {
            reloadedCertificates = try certificates?.reloaded()
        } catch {
            return refuseReload(actor: actor, reason: "the TLS certificates cannot be loaded", errors: [error.description], done)
        }
        routes = table
        let names = table.routes.map(\.name)
        runtime = runtime.filter { names.contains($0.key) }
        machines = machines.filter { names.contains($0.key) }
        recent = recent.filter { names.contains($0.key) }
        let routeNames = JSONValue.array(names.map(JSONValue.string))
        var answer: [String: JSONValue] = ["reloaded": true, "routes": routeNames]
        if let reloadedCertificates {
            certificates = reloadedCertificates
            server?.install(certificates: reloadedCertificates.context)
            answer["certificates"] = reloadedCertificates.namesJSON
        }
        let response = Self.json(200, .object(answer))
        install { done(response) }
        server?.reloaded()
        record(.reload, actor: actor, details: ["routes": routeNames])
        EventLog.write(.info, "routes reloaded", ["routes": routeNames, "by": .string(actor)])
    }

    /// A reload that cannot be applied: logged, recorded, answered with 422; nothing changes.
    private func refuseReload(actor: String, reason: String, errors: [String], _ done: @Sendable (AdminResponse) -> Void) {
        let list = JSONValue.array(errors.map(JSONValue.string))
        record(.reloadRefused, actor: actor, reason: reason, details: ["errors": list])
        EventLog.write(.error, "reload refused: \(reason); the previous configuration keeps serving", ["errors": list])
        done(Self.json(422, ["error": .string("\(reason); the previous configuration keeps serving"), "detail": list]))
    }

    /// `GET /metrics`: every backend of the served routes is listed (healthy until a
    /// check says otherwise).
    func metrics() -> AdminResponse {
        let served = routes.routes.map(effective)
        var backends: [String: Bool] = [:]
        for route in served { for b in route.blue.backends + route.green.backends { backends[b.label] = true } }
        let flips = health.withLock { $0 }
        for (label, healthy) in flips where backends[label] != nil { backends[label] = healthy }
        var rollouts: [String: MetricsText.RolloutGauge] = [:]
        for route in served {
            let machine = machines[route.name]
            rollouts[route.name] = MetricsText.RolloutGauge(
                state: machine?.state ?? .idle, step: machine?.rollout.map { $0.step + 1 } ?? 0, reverts: reverts[route.name] ?? [:])
        }
        let text = MetricsText.render(totals: StatsTotals(workers: server?.workerStats() ?? []), routes: served,
                                      backendHealth: backends, rollouts: rollouts, stateUnsaved: pendingSave != nil) + fleetMetrics()
        return AdminResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(text.utf8))
    }

    // MARK: JSON

    func route(named name: String) -> Route? {
        routes.routes.first { $0.name == name }.map(effective)
    }

    /// A route as the admin API shows it, with per-pool figures from `totals`.
    func describe(_ route: Route, _ totals: StatsTotals) -> JSONValue {
        let served = effective(route)
        let flips = health.withLock { $0 }
        func pool(_ p: PoolConfig) -> JSONValue {
            ["backends": .array(p.backends.map { ["address": .string($0.label), "healthy": .bool(flips[$0.label] ?? true)] })]
        }
        func stats(_ pool: Int) -> JSONValue {
            var s = totals.summary(route: route.name, pool: pool)
            s["ratePerSecond"] = .number(rates.rate(route: route.name, pool: pool))
            return .object(s)
        }
        var match: [String: JSONValue] = ["pathPrefix": .string(String(decoding: route.pathPrefix, as: UTF8.self))]
        if let host = route.host { match["host"] = .string(host.description) }
        return [
            "name": .string(route.name),
            "match": .object(match),
            "stable": .string(served.stable.name),
            "weights": ["green": Self.number(served.greenWeight), "blue": Self.number(served.greenWeight.complement)],
            "pools": ["blue": pool(route.blue), "green": pool(route.green)],
            "rollout": rolloutStatus(route),
            "stats": ["blue": stats(0), "green": stats(1)],
        ]
    }

    /// A weight as a JSON number in percent (10, 10.25).
    static func number(_ w: Weight) -> JSONValue {
        .number(Double(w.basisPoints) / 100)
    }

    /// An answer with `value` as its JSON body (`{}` should it hold a NaN, which no answer does).
    static func json(_ status: Int, _ value: JSONValue) -> AdminResponse {
        AdminResponse(status: status, body: ((try? value.encoded()) ?? Array("{}".utf8)) + [0x0A])
    }

    static func error(_ status: Int, _ message: String) -> AdminResponse {
        json(status, ["error": .string(message), "detail": .null])
    }
}
