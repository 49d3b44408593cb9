import JudgeSimulation
import Testing
import Traffic

struct RolloutStateMachineTests {
    private static let plan = try! RolloutPlan(steps: [10, 50, 100].map { Weight(basisPoints: $0 * 100)! }, holdsMs: [10_000])
    private static let analysis = AnalysisConfig(minRequests: 20)

    /// A second of fixed traffic: every request succeeds in 20 ms, except the first
    /// `greenFailures` of green's.
    private static func second(blue: Int, green: Int, greenFailures: Int = 0) -> SecondEvidence {
        var evidence = SecondEvidence()
        for _ in 0..<blue { evidence.record(.blue, failed: false, micros: 20_000) }
        for index in 0..<green { evidence.record(.green, failed: index < greenFailures, micros: 20_000) }
        return evidence
    }

    private static let quiet = second(blue: 18, green: 2)
    private static let broken = second(blue: 18, green: 2, greenFailures: 2)

    /// A machine and a fake clock that moves one second per tick.
    private struct Harness {
        var machine: RolloutStateMachine
        var now = 0

        /// 60 s of blue-only traffic, then a rollout of the non-stable pool along `plan`.
        init(stable: Pool = .blue, plan: RolloutPlan = RolloutStateMachineTests.plan,
             analysis: AnalysisConfig = RolloutStateMachineTests.analysis) throws {
            machine = RolloutStateMachine(stable: stable)
            _ = tick(RolloutStateMachineTests.second(blue: 20, green: 0), seconds: 60)
            _ = try machine.handle(.start(plan, target: stable.other, analysis: analysis), now: now)
        }

        /// Ticks `seconds` times with `evidence`; returns every action.
        mutating func tick(_ evidence: SecondEvidence, seconds: Int = 1, healthy: Bool = true) -> [RolloutAction] {
            (0..<seconds).flatMap { _ in
                now += 1_000
                return machine.tick(now: now, evidence: evidence, targetHealthy: healthy)
            }
        }

        mutating func handle(_ command: RolloutCommand) throws -> [RolloutAction] {
            try machine.handle(command, now: now)
        }
    }

    private static func percent(_ value: Int) -> Weight {
        Weight(basisPoints: value * 100)!
    }

    @Test func startSetsTheFirstStepAndRefusesConflicts() throws {
        var machine = RolloutStateMachine(stable: .blue)
        #expect(machine.state == .idle)
        #expect(throws: RolloutRefusal.targetIsStable(.blue)) {
            try machine.handle(.start(Self.plan, target: .blue, analysis: Self.analysis), now: 0)
        }
        #expect(throws: RolloutRefusal.conflict(command: "pause", state: .idle)) { try machine.handle(.pause, now: 0) }
        let actions = try machine.handle(.start(Self.plan, target: .green, analysis: Self.analysis), now: 0)
        #expect(actions == [.started(target: .green, plan: Self.plan), .setWeight(green: Self.percent(10))])
        #expect(machine.state == .running)
        #expect(machine.rollout?.holdLeftMs == 10_000)
        #expect(throws: RolloutRefusal.conflict(command: "start", state: .running)) {
            try machine.handle(.start(Self.plan, target: .green, analysis: Self.analysis), now: 0)
        }
        #expect(throws: RolloutRefusal.conflict(command: "resume", state: .running)) { try machine.handle(.resume, now: 0) }
        #expect(throws: RolloutRefusal.conflict(command: "rollback", state: .running)) { try machine.handle(.rollback, now: 0) }
    }

    @Test func holdsEachStepThenAdvancesAndPromotes() throws {
        var harness = try Harness()
        #expect(harness.tick(Self.quiet, seconds: 9).isEmpty)
        #expect(harness.machine.rollout?.heldMs == 9_000)
        #expect(harness.machine.rollout?.stepRequests == 18)
        #expect(harness.tick(Self.quiet) == [.setWeight(green: Self.percent(50)), .advanced(step: 1, weight: Self.percent(50))])
        #expect(harness.machine.rollout?.heldMs == 0)
        #expect(harness.machine.rollout?.stepRequests == 0)
        #expect(harness.tick(Self.quiet, seconds: 9).isEmpty)
        #expect(harness.tick(Self.quiet) == [.setWeight(green: .full), .promoted(stable: .green)])
        #expect(harness.machine.state == .promoted)
        #expect(harness.machine.stable == .green)
        #expect(harness.tick(Self.quiet, seconds: 5).isEmpty)
    }

    @Test func thinEvidenceExtendsTheHoldAndSaysSo() throws {
        var harness = try Harness(analysis: AnalysisConfig(minRequests: 30))
        let thin = Self.second(blue: 19, green: 1)
        #expect(harness.tick(thin, seconds: 9).isEmpty)
        #expect(harness.tick(thin) == [.holdExtended(step: 0, requests: 10, needed: 30)])
        #expect(RolloutAction.holdExtended(step: 0, requests: 10, needed: 30).description
            == "hold of step 1 extended: too few requests (10 of 30)")
        #expect(harness.machine.rollout?.holdExtended == true)
        #expect(harness.machine.rollout?.holdLeftMs == 0)
        #expect(harness.tick(thin, seconds: 19).isEmpty)
        #expect(harness.machine.rollout?.step == 0)
        #expect(harness.tick(thin) == [.setWeight(green: Self.percent(50)), .advanced(step: 1, weight: Self.percent(50))])
        #expect(harness.machine.rollout?.holdExtended == false)
    }

    @Test func pauseFreezesTheHoldButKeepsRevertArmed() throws {
        var harness = try Harness()
        _ = harness.tick(Self.quiet, seconds: 5)
        #expect(try harness.handle(.pause) == [.paused])
        #expect(throws: RolloutRefusal.conflict(command: "pause", state: .paused)) { try harness.handle(.pause) }
        #expect(harness.tick(Self.quiet, seconds: 30).isEmpty)
        #expect(harness.machine.rollout?.heldMs == 5_000)
        #expect(harness.machine.rollout?.holdLeftMs == 5_000)
        let actions = harness.tick(Self.broken, seconds: 5)
        #expect(actions.first == .setWeight(green: .zero))
        #expect(harness.machine.state == .reverted)
        #expect(harness.machine.rollout?.reason == .regression(.errors))
    }

    @Test func resumeContinuesTheHoldWhereItStopped() throws {
        var harness = try Harness()
        _ = harness.tick(Self.quiet, seconds: 4)
        _ = try harness.handle(.pause)
        _ = harness.tick(Self.quiet, seconds: 20)
        harness.now += 7_000
        #expect(try harness.handle(.resume) == [.resumed, .setWeight(green: Self.percent(10))])
        #expect(harness.tick(Self.quiet, seconds: 5).isEmpty)
        #expect(harness.tick(Self.quiet).last == .advanced(step: 1, weight: Self.percent(50)))
    }

    @Test func promoteAdvancesNowAndPromotesAtTheLastStep() throws {
        var harness = try Harness()
        #expect(try harness.handle(.promote) == [.setWeight(green: Self.percent(50)), .advanced(step: 1, weight: Self.percent(50))])
        _ = try harness.handle(.pause)
        #expect(try harness.handle(.promote) == [.setWeight(green: .full), .promoted(stable: .green)])
        #expect(harness.machine.state == .promoted)
        #expect(throws: RolloutRefusal.conflict(command: "promote", state: .promoted)) { try harness.handle(.promote) }
    }

    @Test func abortSendsTheTargetBackAtOnce() throws {
        var harness = try Harness()
        let actions = try harness.handle(.abort)
        #expect(actions.first == .setWeight(green: .zero))
        guard case .reverted(.aborted, .green, let figures) = actions.last else {
            Issue.record("\(actions)")
            return
        }
        #expect(figures.seconds == 0)
        #expect(harness.machine.state == .aborted)
        #expect(harness.machine.stable == .blue)
        #expect(throws: RolloutRefusal.conflict(command: "abort", state: .aborted)) { try harness.handle(.abort) }
        #expect(harness.tick(Self.broken, seconds: 10).isEmpty)
    }

    @Test func rollbackAfterPromotionRestoresTheOldStablePool() throws {
        var harness = try Harness()
        _ = harness.tick(Self.quiet, seconds: 20)
        #expect(harness.machine.state == .promoted)
        let actions = try harness.handle(.rollback)
        #expect(actions.first == .setWeight(green: .zero))
        #expect(harness.machine.stable == .blue)
        #expect(harness.machine.state == .reverted)
        #expect(harness.machine.rollout?.reason == .rolledBack)
        #expect(throws: RolloutRefusal.conflict(command: "rollback", state: .reverted)) { try harness.handle(.rollback) }
    }

    @Test func aRevertIsLatched() throws {
        var harness = try Harness()
        let actions = harness.tick(Self.broken, seconds: 3)
        #expect(harness.machine.state == .reverted)
        guard case .reverted(.regression(.errors), .green, let figures) = actions.last else {
            Issue.record("\(actions)")
            return
        }
        #expect(figures.verdict?.test == .errors)
        #expect(actions.last?.description.hasPrefix("green reverted: regression: error rate (green: ") == true)
        #expect(harness.tick(Self.quiet, seconds: 100).isEmpty)
        #expect(harness.machine.state == .reverted)
        #expect(harness.machine.rollout?.targetWeight == .zero)
    }

    @Test func aTargetWithoutAHealthyBackendIsARegression() throws {
        var harness = try Harness()
        _ = harness.tick(Self.quiet, seconds: 3)
        let actions = harness.tick(Self.quiet, healthy: false)
        #expect(actions.first == .setWeight(green: .zero))
        #expect(harness.machine.rollout?.reason == .targetUnhealthy)
        #expect(harness.machine.state == .reverted)
    }

    @Test func rollsOutBlueWhenGreenIsStable() throws {
        var harness = try Harness(stable: .green)
        #expect(harness.machine.rollout?.greenWeight == Self.percent(90))
        #expect(try harness.handle(.promote).first == .setWeight(green: Self.percent(50)))
        #expect(try harness.handle(.promote) == [.setWeight(green: .zero), .promoted(stable: .blue)])
        #expect(harness.machine.stable == .blue)
    }

    @Test func aLateTickAddsAtMostTwoSecondsAndAnEarlyOneNothing() throws {
        var harness = try Harness()
        harness.now += 60_000
        _ = harness.tick(Self.quiet)
        #expect(harness.machine.rollout?.heldMs == RolloutStateMachine.maxTickMs)
        harness.now -= 5_000
        _ = harness.tick(Self.quiet)
        #expect(harness.machine.rollout?.heldMs == RolloutStateMachine.maxTickMs)
    }

    @Test func aRestartResumesTheSameStepWithTheSameHeldTimeAndEvidence() throws {
        let plan = try RolloutPlan(steps: [10, 50, 100].map { Weight(basisPoints: $0 * 100)! }, holdsMs: [20_000])
        var traffic = TrafficSimulator(
            rate: 100, blue: PoolBehaviour(failureRate: 0.005), green: PoolBehaviour(failureRate: 0.005), seed: 21)
        var harness = try Harness(plan: plan)
        var evidence: [SecondEvidence] = []
        for _ in 0..<25 {
            let second = traffic.second(greenWeight: harness.machine.rollout?.greenWeight ?? .zero)
            evidence.append(second)
            _ = harness.tick(second)
        }
        let progress = try #require(harness.machine.rollout)
        #expect(progress.step == 1 && progress.heldMs == 5_000)
        // What a state dir keeps; a new process starts its clock anywhere.
        var restored = try #require(RolloutStateMachine(
            stable: harness.machine.stable, rollout: progress, judge: harness.machine.judgeState))
        #expect(restored.rollout == progress)
        #expect(restored.judgeState == harness.machine.judgeState)
        #expect(restored.judgeStatus == harness.machine.judgeStatus)
        var now = 987_654_321
        var uninterrupted = harness
        for index in 0..<16 {
            let second = traffic.second(greenWeight: restored.rollout?.greenWeight ?? .zero)
            now += 1_000
            let actions = restored.tick(now: now, evidence: second, targetHealthy: true)
            _ = uninterrupted.tick(second)
            // The first tick after the restart adds no held time, so the step ends a second later.
            #expect(restored.rollout?.heldMs == (index < 15 ? 5_000 + index * 1_000 : 0))
            #expect(actions.isEmpty == (index < 15))
            if index < 14 {
                #expect(restored.judgeState == uninterrupted.machine.judgeState)
            }
        }
        #expect(restored.state == .promoted)
        #expect(RolloutStateMachine(stable: .blue, rollout: progress, judge: nil) == nil)
        #expect(RolloutStateMachine(stable: .green, rollout: progress, judge: harness.machine.judgeState) == nil)
        var invalid = progress
        invalid.step = 2
        #expect(RolloutStateMachine(stable: .blue, rollout: invalid, judge: harness.machine.judgeState) == nil)
        #expect(RolloutStateMachine(stable: .blue, rollout: nil, judge: nil)?.state == .idle)
    }
}
