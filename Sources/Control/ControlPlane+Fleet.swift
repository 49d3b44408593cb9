import ProxyIO
import Traffic

/// The control plane in a fleet (`--store`, docs/fleet.md): run-time weights are written to
/// the store and applied from it, on every instance alike; `GET /fleet` shows the fleet.
extension ControlPlane {
    /// Joins `link`'s fleet before anything serves (on the main thread): the weights the
    /// store holds (`read`, the fleet's keys read at start) win over the route files'.
    public func join(_ link: FleetLink, read: EtcdRangeAnswer) {
        fleet = link
        let kvs = Dictionary(read.kvs.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
        _ = adopt(FleetView(keys: link.keys, kvs: kvs))
        link.applied(revision: appliedRevision(), weights: weightsInForce())
    }

    /// Gives the control plane the way onto the admin loop, once the loop is up and before
    /// the fleet link starts.
    public func attach(loop perform: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) {
        loop.withLock { $0 = perform }
    }

    /// Runs `work` on the admin loop.
    func onLoop(_ work: @escaping @Sendable () -> Void) {
        guard let perform = loop.withLock({ $0 }) else { return work() } // only before the loop runs: nothing else does then
        perform(work)
    }

    /// Runs on the admin loop for whatever the fleet link learnt: new keys are applied
    /// (weights through the install barrier, like a local change), outages recorded.
    public func fleetChanged(_ change: FleetLink.Change) {
        guard let fleet else { return }
        switch change {
        case .keys:
            guard adopt(fleet.view.0) else { return fleet.applied(revision: appliedRevision(), weights: weightsInForce()) }
            let (revision, weights) = (appliedRevision(), weightsInForce())
            EventLog.write(.info, "weights applied from the store", ["revision": .string(String(revision)),
                "weights": .object(weights.mapValues(Self.number))])
            install { fleet.applied(revision: revision, weights: weights) }
        case .storeLost(let error):
            EventLog.write(.warning, "the store is unreachable: serving the weights last applied", ["error": .string(error)])
        case .storeReturned(let since, let ms):
            record(.store, actor: "sluice", reason: "the store answers again",
                   details: ["unreachableSince": .string(since), "unreachableFor": .string(formatDuration(ms: ms))])
            EventLog.write(.info, "the store answers again", ["unreachableSince": .string(since), "unreachableFor": .string(formatDuration(ms: ms))])
        case .leadership(let leading):
            EventLog.write(.info, leading ? "leading the fleet" : "no longer leading the fleet", ["instance": .string(fleet.name)])
        }
    }

    /// Takes the shared weights and rollout records newer than those applied; true when a
    /// route's split changed. A record this process wrote is in force already (put there
    /// when its write committed, with the machine's clock), so it is not made again.
    private func adopt(_ view: FleetView) -> Bool {
        var changed = false
        for route in routes.routes {
            guard let shared = view.rollouts[route.name], shared.modRevision > rolloutRevisions[route.name] ?? 0 else { continue }
            rolloutRevisions[route.name] = shared.modRevision
            guard shared.writer != fleet?.writer else { continue }
            guard let record = shared.record else {
                machines[route.name] = RolloutStateMachine(stable: shared.stable)
                continue
            }
            guard let (progress, judge) = RolloutRecord.decode(record),
                  let machine = RolloutStateMachine(stable: shared.stable, rollout: progress, judge: judge) else {
                EventLog.write(.error, "the store's rollout record is inconsistent; it is not applied here", ["route": .string(route.name)])
                continue
            }
            machines[route.name] = machine
        }
        for route in routes.routes {
            guard let shared = view.weights[route.name], shared.modRevision > sharedRevisions[route.name] ?? 0 else { continue }
            sharedRevisions[route.name] = shared.modRevision
            let before = effective(route)
            runtime[route.name] = shared.state
            let after = effective(route)
            if before.greenWeight != after.greenWeight || before.stable != after.stable { changed = true }
        }
        return changed
    }

    /// The store revision of the newest shared weights or rollout applied here: the same on
    /// every instance that applied the latest change.
    private func appliedRevision() -> Int64 {
        max(sharedRevisions.values.max() ?? 0, rolloutRevisions.values.max() ?? 0)
    }

    /// Green's weight per route as served now.
    private func weightsInForce() -> [String: Weight] {
        Dictionary(routes.routes.map { ($0.name, effective($0).greenWeight) }, uniquingKeysWith: { _, last in last })
    }

    /// Runs `change` (which edits `runtime[name]` and `machines[name]`) on a scratch copy:
    /// the route's state is put back as it was, and the changed state returned, for `share`.
    func staged(_ name: String, _ change: () -> Void) -> (RouteState?, RolloutStateMachine?) {
        let previous = (runtime[name], machines[name])
        change()
        let next = (runtime[name], machines[name])
        (runtime[name], machines[name]) = previous
        return next
    }

    /// Writes route `route`'s changed state (`next`, from `staged`) to the store, fenced for
    /// the leader's decisions, conditioned on the rollout record applied here being the
    /// latest. Once committed it is put in force here (events for `actions`, every worker
    /// routing with it) and `done` runs with nil on the admin loop; otherwise nothing
    /// changed here and `done` gets the answer saying why (409 for a lost race, 503 when
    /// not leading or the store did not take it). The other instances apply it from their
    /// watch.
    func share(_ route: Route, _ next: (RouteState?, RolloutStateMachine?), _ actions: [RolloutAction], fenced: Bool,
               actor: String, reason: String?, done: @escaping @Sendable (AdminResponse?) -> Void) {
        guard let fleet else { return }
        let name = route.name
        let served = effective(route)
        let state = next.0 ?? RouteState(greenWeight: served.greenWeight, stable: served.stable, updatedBy: actor)
        let machine = next.1
        let rollout = machine.map { m in (stable: m.stable, record: m.rollout.flatMap { p in m.judgeState.map { RolloutRecord.encode(p, judge: $0) } }) }
        fleetWriting.insert(name)
        fleet.write(route: name, state: state, rollout: rollout, expect: rolloutRevisions[name] ?? 0, fenced: fenced) { [self] outcome in
            onLoop { [self] in
                fleetWriting.remove(name)
                switch outcome {
                case .written(let revision):
                    if revision >= sharedRevisions[name] ?? 0 {
                        sharedRevisions[name] = revision
                        runtime[name] = state
                    }
                    if let machine, revision >= rolloutRevisions[name] ?? 0 {
                        rolloutRevisions[name] = revision
                        machines[name] = machine
                    }
                    for action in actions { announce(action, route: name, actor: actor, reason: reason) }
                    let (applied, weights) = (appliedRevision(), weightsInForce())
                    install {
                        fleet.applied(revision: applied, weights: weights)
                        done(nil)
                    }
                case .conflict:
                    done(Self.error(409, "the rollout of \(name) changed meanwhile (another instance wrote it); nothing changed: try again"))
                case .notLeading:
                    done(Self.error(503, "this instance no longer leads the fleet; nothing was written"))
                case .failed(let error):
                    EventLog.write(.error, "the store did not take a change", ["route": .string(name), "error": .string(error.description)])
                    done(Self.error(503, "the store did not take the change (\(error.description)); nothing changed here"))
                }
            }
        }
    }

    /// The evidence to judge this second, per route: on the leader the sum of every live
    /// instance's published evidence since its last take; nil on the others, which do not
    /// judge (their pooled sum starts afresh whenever they come to lead).
    func fleetSecond() -> [String: SecondEvidence]? {
        guard let fleet else { return nil }
        guard fleet.isLeader else {
            fleetEvidence = FleetEvidence()
            return nil
        }
        return fleetEvidence.take(fleet.view.0.evidence)
    }

    /// `GET /fleet`: the instances, the leader and the store as this instance sees them.
    func showFleet(_ reply: AdminReply) {
        guard let fleet else { return reply.send(Self.error(404, "this instance is not in a fleet (start it with --store)")) }
        let (view, revision) = fleet.view
        let reach = fleet.reachability
        let instances = view.instances.values.sorted { $0.name < $1.name }.map { i -> JSONValue in
            ["name": .string(i.name), "self": .bool(i.name == fleet.name), "appliedRevision": .number(Double(i.appliedRevision)),
             "lastSeen": .string(i.lastSeen), "startedAt": .string(i.startedAt), "admin": .string(i.admin), "listen": .string(i.listen),
             "weights": .object(i.weights.mapValues(Self.number))]
        }
        let store: JSONValue = [
            "reachable": .bool(reach.reachable), "unreachableSince": reach.unreachableSince.map { .string($0.text) } ?? .null,
            "endpoints": .array(fleet.endpoints.map(JSONValue.string)), "prefix": .string(fleet.keys.prefix),
            "revision": .number(Double(revision)), "requests": .number(Double(reach.requests)), "errors": .number(Double(reach.errors)),
        ]
        reply.send(Self.json(200, ["leader": view.leader.map(JSONValue.string) ?? .null, "self": .string(fleet.name),
                                   "leading": .bool(fleet.isLeader), "store": store, "instances": .array(instances)]))
    }

    /// The fleet's lines of `GET /metrics` ("" outside a fleet).
    func fleetMetrics() -> String {
        guard let fleet else { return "" }
        let reach = fleet.reachability
        return """
        # HELP sluice_fleet_instances Instances registered in the fleet, as this instance's copy of the store shows.
        # TYPE sluice_fleet_instances gauge
        sluice_fleet_instances \(fleet.view.0.instances.count)
        # HELP sluice_fleet_leader 1 while this instance leads the fleet.
        # TYPE sluice_fleet_leader gauge
        sluice_fleet_leader \(fleet.isLeader ? 1 : 0)
        # HELP sluice_store_reachable 1 while the store answers this instance's requests.
        # TYPE sluice_store_reachable gauge
        sluice_store_reachable \(reach.reachable ? 1 : 0)
        # HELP sluice_store_requests_total Requests of this instance's fleet link to the store (registration, evidence, weights).
        # TYPE sluice_store_requests_total counter
        sluice_store_requests_total \(reach.requests)
        # HELP sluice_store_request_errors_total Those requests without a usable answer.
        # TYPE sluice_store_request_errors_total counter
        sluice_store_request_errors_total \(reach.errors)
        # HELP sluice_store_request_seconds_sum Time those requests took until their answer or failure.
        # TYPE sluice_store_request_seconds_sum counter
        sluice_store_request_seconds_sum \(Double(reach.latencyMsSum) / 1000)

        """
    }
}
