import Control
import JudgeSimulation
import Testing
import Traffic

/// The rollout record in the state file: a machine saved mid-hold and restored through JSON
/// continues exactly like the one that never stopped; a damaged record is refused.
struct RolloutRecordTests {
    private static let plan = try! RolloutPlan(steps: [10, 50, 100].map { Weight(basisPoints: $0 * 100)! }, holdsMs: [60_000])

    /// A machine after 60 s of blue-only traffic and `seconds` of a rollout, and its traffic.
    private static func running(seconds: Int, green: PoolBehaviour) throws -> (RolloutStateMachine, TrafficSimulator, Int) {
        var traffic = TrafficSimulator(rate: 100, blue: PoolBehaviour(failureRate: 0.01), green: green, seed: 7)
        var machine = RolloutStateMachine(stable: .blue)
        var now = 0
        for _ in 0..<60 {
            now += 1_000
            _ = machine.tick(now: now, evidence: traffic.second(greenWeight: .zero), targetHealthy: true)
        }
        _ = try machine.handle(.start(plan, target: .green, analysis: AnalysisConfig(minRequests: 50)), now: now)
        for _ in 0..<seconds {
            now += 1_000
            _ = machine.tick(now: now, evidence: traffic.second(greenWeight: machine.rollout!.greenWeight), targetHealthy: true)
        }
        return (machine, traffic, now)
    }

    /// Encodes the machine's record, passes it through JSON text as the state file does, and
    /// restores a machine from it.
    private static func roundTrip(_ machine: RolloutStateMachine) throws -> RolloutStateMachine? {
        let record = RolloutRecord.encode(machine.rollout!, judge: machine.judgeState!)
        let text = try JSONValue.object(record).encoded()
        let decoded = try #require(try JSONValue(parsing: text).objectValue)
        guard let (progress, judge) = RolloutRecord.decode(decoded) else { return nil }
        #expect(progress == machine.rollout)
        #expect(judge == machine.judgeState)
        return RolloutStateMachine(stable: machine.stable, rollout: progress, judge: judge)
    }

    /// Within the step, the restored judge sees exactly what the original sees; the restored
    /// hold lacks only the restart's second (the first tick after a restore adds no held time).
    /// At the next step both take the stable pool's recent latencies as reference, and the
    /// restored machine has only those since the restart (the 60 s window is not persisted).
    @Test(arguments: [PoolBehaviour(failureRate: 0.01), PoolBehaviour(failureRate: 0.03)])
    func aRestoredMachineContinuesLikeTheOriginal(green: PoolBehaviour) throws {
        var (original, traffic, now) = try Self.running(seconds: 40, green: green)
        var restored = try #require(try Self.roundTrip(original))
        #expect(restored.state == original.state)
        for _ in 0..<15 {
            now += 1_000
            let evidence = traffic.second(greenWeight: original.rollout!.greenWeight)
            #expect(original.tick(now: now, evidence: evidence, targetHealthy: true)
                == restored.tick(now: now, evidence: evidence, targetHealthy: true))
            #expect(restored.judgeState == original.judgeState)
            #expect(restored.rollout?.step == original.rollout?.step)
            #expect(restored.rollout?.heldMs == original.rollout!.heldMs - 1_000)
        }
    }

    /// The record's size in `state.json` (pretty JSON, as saved) after `seconds` of a rollout of
    /// `plan` at 100 req/s between identical pools.
    private static func savedBytes(_ plan: RolloutPlan, seconds: Int) throws -> Int {
        var traffic = TrafficSimulator(rate: 100, blue: PoolBehaviour(failureRate: 0.01), green: PoolBehaviour(failureRate: 0.01), seed: 3)
        var machine = RolloutStateMachine(stable: .blue)
        var now = 0
        for _ in 0..<60 {
            now += 1_000
            _ = machine.tick(now: now, evidence: traffic.second(greenWeight: .zero), targetHealthy: true)
        }
        _ = try machine.handle(.start(plan, target: .green, analysis: AnalysisConfig()), now: now)
        for _ in 0..<seconds {
            now += 1_000
            _ = machine.tick(now: now, evidence: traffic.second(greenWeight: machine.rollout!.greenWeight), targetHealthy: true)
        }
        try #require(machine.state == .running)
        return try JSONValue.object(RolloutRecord.encode(machine.rollout!, judge: machine.judgeState!)).encodedPretty().count
    }

    /// A 30-day hold's saved evidence is as small as a 30-minute hold's: only the first and the
    /// 16 most recent restart components are kept (it once held one row per 150 s planned).
    @Test func aThirtyDayHoldSavesNoMoreThanAThirtyMinuteOne() throws {
        let fivePercent = Weight(basisPoints: 500)!
        let halfHour = try Self.savedBytes(RolloutPlan(steps: [fivePercent, .full], holdsMs: [1_800_000]), seconds: 1_790)
        let canary = try Self.savedBytes(.canary, seconds: 3_000)
        let month = try Self.savedBytes(RolloutPlan(steps: [fivePercent, .full], holdsMs: [30 * 24 * 3_600_000]), seconds: 3_000)
        print("saved rollout record: 30-minute hold \(halfHour) bytes at 1,790 s; canary \(canary) and 30-day hold \(month) bytes at 3,000 s")
        #expect(month <= 2 * halfHour)
        #expect(canary <= 2 * halfHour)
    }

    @Test func everyKindOfEndIsKept() throws {
        for command in [RolloutCommand.abort, .promote] {
            var (machine, _, now) = try Self.running(seconds: 5, green: PoolBehaviour(failureRate: 0.01))
            _ = try machine.handle(command, now: now + 1)
            let restored = try #require(try Self.roundTrip(machine))
            #expect(restored.state == machine.state)
            #expect(restored.rollout?.reason == machine.rollout?.reason)
        }
    }

    @Test func aDamagedRecordIsRefused() throws {
        let (machine, _, _) = try Self.running(seconds: 3, green: PoolBehaviour(failureRate: 0.01))
        let record = RolloutRecord.encode(machine.rollout!, judge: machine.judgeState!)
        var damaged: [[String: JSONValue]] = []
        for key in ["state", "target", "steps", "holdsMs", "analysis", "step", "heldMs", "judge"] {
            var copy = record
            copy[key] = nil
            damaged.append(copy)
        }
        guard case .object(let judge)? = record["judge"] else { throw RecordError.noJudge }
        for key in ["reference", "tallies", "target", "targetSinceRestart", "stableSinceRestart"] {
            var copy = record, judgeCopy = judge
            judgeCopy[key] = nil
            copy["judge"] = .object(judgeCopy)
            damaged.append(copy)
        }
        for (key, value) in [("state", JSONValue.string("flying")), ("target", "red"), ("step", -1), ("heldMs", 1.5),
                             ("steps", [50, 10, 100]), ("reason", "bored"), ("holdExtended", 1)] {
            var copy = record
            copy[key] = value
            damaged.append(copy)
        }
        for record in damaged {
            #expect(RolloutRecord.decode(record) == nil)
        }
        var wrongStep = record
        wrongStep["step"] = 7
        let decoded = try #require(RolloutRecord.decode(wrongStep))
        #expect(RolloutStateMachine(stable: .blue, rollout: decoded.0, judge: decoded.1) == nil)
    }
}

private enum RecordError: Error {
    case noJudge
}
