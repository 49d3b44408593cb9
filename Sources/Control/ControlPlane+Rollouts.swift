import ProxyIO
import Traffic

/// Rollouts on the admin loop: the endpoints of docs/admin-api.md, and the once-a-second tick that
/// feeds each route's `RolloutStateMachine` with the workers' merged evidence and carries out
/// what it decides (weights in every worker, the state file, events, webhooks).
extension ControlPlane {
    /// `POST /routes/{name}/rollout`: starts a rollout; 422 with every problem of the body.
    func startRollout(_ call: Call, _ reply: AdminReply) {
        guard let route = route(call, reply) else { return }
        switch RolloutRequest.decode(call.request.body, route: route, stable: machine(for: route).stable) {
        case .success(let request) where request.dryRun:
            reply.send(Self.json(200, dryRun(request, route)))
        case .success(let request):
            command(.start(request.plan, target: request.target, analysis: request.analysis), route, reason: request.reason, reply)
        case .failure(let failure):
            let detail = failure.errors.map { JSONValue.string($0.keyPath.isEmpty ? $0.message : "\($0.keyPath): \($0.message)") }
            reply.send(Self.json(422, ["error": "invalid rollout request", "detail": .array(detail)]))
        }
    }

    /// What `request` would do, changing nothing: the plan, holds and analysis in force, and
    /// the refusal the start would meet (null when it would start).
    private func dryRun(_ request: RolloutRequest, _ route: Route) -> JSONValue {
        var copy = machine(for: route)
        var refused: JSONValue = .null
        do {
            _ = try copy.handle(.start(request.plan, target: request.target, analysis: request.analysis), now: clock())
        } catch {
            refused = .string(error.description)
        }
        return [
            "dryRun": true, "wouldStart": .bool(refused == .null), "refused": refused,
            "to": .string(request.target.name), "stable": .string(copy.stable.name),
            "steps": .array(request.plan.steps.map(Self.number)),
            "holds": .array(request.plan.holdsMs.map { .string(formatDuration(ms: $0)) }),
            "analysis": RouteFileEncoder.analysis(request.analysis),
        ]
    }

    /// `POST /routes/{name}/rollout/{pause|resume|promote|abort}` and `POST /routes/{name}/rollback`,
    /// with an optional `{"reason": "..."}`.
    func command(_ command: RolloutCommand, _ call: Call, _ reply: AdminReply) {
        guard let route = route(call, reply) else { return }
        guard case .some(let reason) = Self.optionalReason(call.request.body) else {
            return reply.send(Self.error(400, "the body must be empty or a JSON object such as {\"reason\": \"...\"}"))
        }
        self.command(command, route, reason: reason, reply)
    }

    /// Runs an operator's command on `route`'s machine: refused with 409 (conflict) or 422
    /// (rollout to the stable pool) changing nothing; otherwise the state is saved (500 and
    /// nothing changed if it cannot be, except for a decision — promote, abort, rollback — which
    /// takes effect with its save pending), the events recorded, and the answer sent once every
    /// worker has the new weights.
    private func command(_ command: RolloutCommand, _ route: Route, reason: String?, _ reply: AdminReply) {
        let name = route.name
        var machine = machine(for: route)
        let actions: [RolloutAction]
        do {
            actions = try machine.handle(command, now: clock())
        } catch {
            if case .targetIsStable = error { return reply.send(Self.error(422, error.description)) }
            return reply.send(Self.error(409, error.description))
        }
        let actor = token?.name ?? "admin"
        var weightsChanged = false
        func apply() {
            machines[name] = machine
            weightsChanged = applyWeights(actions, route: route, actor: actor)
        }
        if fleet != nil {
            return share(route, staged(name, apply), actions, fenced: false, actor: actor, reason: reason) { [self] failure in
                reply.send(failure ?? Self.json(200, rolloutStatus(self.route(named: name) ?? route)))
            }
        }
        if command.isDecision {
            // A promotion, abort or rollback takes effect even when its save fails: the save
            // stays pending and is retried every tick (docs/rollouts.md).
            apply()
            saveOrKeepPending()
        } else if let failure = saveOrRollBack(name, unchanged: "the rollout is unchanged", apply) {
            return reply.send(failure)
        }
        for action in actions { announce(action, route: name, actor: actor, reason: reason) }
        let answer = Self.json(200, rolloutStatus(route))
        if weightsChanged { install { reply.send(answer) } } else { reply.send(answer) }
    }

    /// Runs once a second on the admin loop (from `everySecond`): hands every route's machine
    /// the evidence of the second since the last tick and the target pool's health, then
    /// carries out its actions. An active rollout's state is saved every second, so a restart
    /// resumes with the evidence so far; a revert reaches the workers even if the save fails,
    /// and the save stays pending, retried every tick until it is written.
    func tickRollouts(_ totals: StatsTotals) {
        let now = clock()
        var attempted = false
        let pooled = fleetSecond()
        for route in routes.routes.map(effective) {
            let name = route.name
            let cumulative = totals.evidence[name] ?? SecondEvidence()
            var second = cumulative
            if let seen = evidenceSeen[name] { second.subtract(seen) }
            evidenceSeen[name] = cumulative
            recent[name, default: RecentSeconds()].append(second)
            var machine = machine(for: route)
            let wasActive = machine.state.isActive
            let target = machine.rollout?.target ?? machine.stable.other
            if fleet != nil {
                // In a fleet only the leader judges, on everyone's evidence, and its
                // decisions take effect once the store has them.
                guard let pooled, wasActive, !fleetWriting.contains(name) else { continue }
                let actions = machine.tick(now: now, evidence: pooled[name] ?? SecondEvidence(), targetHealthy: hasHealthyBackend(route, target))
                let next = staged(name) {
                    machines[name] = machine
                    _ = applyWeights(actions, route: route, actor: "sluice")
                }
                share(route, next, actions, fenced: true, actor: "sluice", reason: nil) { _ in }
                continue
            }
            let actions = machine.tick(now: now, evidence: second, targetHealthy: hasHealthyBackend(route, target))
            machines[name] = machine
            guard wasActive else { continue }
            let weightsChanged = applyWeights(actions, route: route, actor: "sluice")
            saveOrKeepPending()
            attempted = true
            for action in actions { announce(action, route: name, actor: "sluice", reason: nil) }
            if weightsChanged { install {} }
        }
        if pendingSave != nil && !attempted { saveOrKeepPending() }
    }

    /// Saves the state; on failure keeps the save pending (since its first failure), to be
    /// retried by the next tick.
    private func saveOrKeepPending() {
        do {
            try saveState()
        } catch {
            if pendingSave == nil {
                EventLog.write(.error, "cannot save the rollout state; retrying every second", ["error": .string(error.description)])
            }
            pendingSave = PendingSave(sinceMs: pendingSave?.sinceMs ?? clock(), error: error)
        }
    }

    /// The route's machine, made on first use with the route's stable pool (and made anew,
    /// between rollouts, when a reload changed the stable pool).
    func machine(for route: Route) -> RolloutStateMachine {
        if let machine = machines[route.name], machine.state.isActive || machine.stable == route.stable {
            return machine
        }
        return RolloutStateMachine(stable: route.stable)
    }

    /// Puts the weights the actions set into the run-time state with the machine's stable
    /// pool, and makes sure the route has run-time state to carry the rollout record. Returns
    /// whether the weights changed.
    func applyWeights(_ actions: [RolloutAction], route: Route, actor: String) -> Bool {
        let stable = machines[route.name]?.stable ?? route.stable
        var green: Weight?
        for case .setWeight(let weight) in actions { green = weight }
        if green != nil || runtime[route.name] == nil || runtime[route.name]?.stable != stable {
            runtime[route.name] = RouteState(greenWeight: green ?? route.greenWeight, stable: stable, updatedBy: actor)
        }
        return green != nil
    }

    /// Whether at least one backend of `pool` passes its health checks.
    private func hasHealthyBackend(_ route: Route, _ pool: Pool) -> Bool {
        let flips = health.withLock { $0 }
        return route.pool(pool).backends.contains { flips[$0.label] ?? true }
    }

    /// Records what a rollout did in the audit log and on stderr, and posts the event to the
    /// route's webhook. Weight changes are part of the other actions' events.
    func announce(_ action: RolloutAction, route name: String, actor: String, reason: String? = nil) {
        let type: EventType
        var details: [String: JSONValue] = ["message": .string(action.description)]
        switch action {
        case .setWeight:
            return
        case .started(let target, let plan):
            type = .rollout
            details["to"] = .string(target.name)
            details["steps"] = .array(plan.steps.map { .number(Double($0.basisPoints) / 100) })
            details["holds"] = .array(plan.holdsMs.map { .string(formatDuration(ms: $0)) })
        case .advanced(let step, let weight):
            type = .rolloutStep
            details["step"] = .number(Double(step + 1))
            details["weight"] = .number(Double(weight.basisPoints) / 100)
        case .holdExtended(let step, let requests, let needed):
            type = .rolloutStep
            details["step"] = .number(Double(step + 1))
            details["requests"] = .number(Double(requests))
            details["needed"] = .number(Double(needed))
        case .paused:
            type = .pause
        case .resumed:
            type = .resume
        case .promoted(let stable):
            type = .promote
            details["stable"] = .string(stable.name)
        case .reverted(let why, let target, let figures):
            switch why {
            case .aborted: type = .abort
            case .rolledBack: type = .rollback
            case .regression, .targetUnhealthy:
                type = .revert
                reverts[name, default: [:]][RolloutRecord.code(of: why), default: 0] += 1
            }
            details["reasonCode"] = .string(RolloutRecord.code(of: why))
            details["target"] = .string(target.name)
            details["figures"] = RolloutFigures.json(figures, target: target)
        }
        details["state"] = .string(machines[name]?.state.rawValue ?? "idle")
        let automatic = actor == "sluice"
        EventLog.write(type == .revert ? .warning : .info, action.description, ["route": .string(name), "by": .string(actor)])
        guard let event = record(type, route: name, actor: actor, reason: reason ?? (automatic ? action.description : nil),
                                 details: details),
              let webhook = routes.routes.first(where: { $0.name == name })?.webhook,
              let payload = try? event.json.encoded()
        else { return }
        webhooks.post(webhook, payload)
    }

    /// The rollout part of `GET /routes/{name}` and the answer of `GET /routes/{name}/rollout`.
    func rolloutStatus(_ route: Route) -> JSONValue {
        guard let machine = machines[route.name], let progress = machine.rollout, let figures = machine.judgeStatus else {
            return .object(["state": "idle", "stable": .string(route.stable.name)].merging(stateSavedJSON()) { $1 })
        }
        var status: [String: JSONValue] = [
            "state": .string(progress.state.rawValue),
            "to": .string(progress.target.name),
            "stable": .string(machine.stable.name),
            "step": .number(Double(progress.step + 1)),
            "steps": .array(progress.plan.steps.map(Self.number)),
            "holds": .array(progress.plan.holdsMs.map { .string(formatDuration(ms: $0)) }),
            "weight": Self.number(progress.targetWeight),
            "stepRequests": .number(Double(progress.stepRequests)),
            "minRequests": .number(Double(progress.analysis.minRequests)),
            "holdExtended": .bool(progress.holdExtended),
            "reason": progress.reason.map { .string($0.description) } ?? .null,
            "reasonCode": progress.reason.map { .string(RolloutRecord.code(of: $0)) } ?? .null,
        ]
        if progress.state.isActive {  // a step's hold means nothing once the rollout ended
            status["holdLeft"] = .string(formatDuration(ms: (progress.holdLeftMs + 999) / 1_000 * 1_000))
            status["held"] = .string(formatDuration(ms: progress.heldMs / 1_000 * 1_000))
        }
        if case .object(let judged) = RolloutFigures.json(figures, target: progress.target) {
            status.merge(judged) { _, judged in judged }
        }
        status.merge(stateSavedJSON()) { $1 }
        return .object(status)
    }

    /// A command's body: empty (no reason), or `{"reason": "..."}`; nil when it is anything else.
    private static func optionalReason(_ body: [UInt8]) -> String?? {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .some(nil) }
        guard case .object(let object)? = try? JSONValue(parsing: body), Set(object.keys).isSubset(of: ["reason"]) else { return nil }
        guard let reason = object["reason"] else { return .some(nil) }
        guard case .string(let text) = reason else { return nil }
        return .some(text)
    }
}
