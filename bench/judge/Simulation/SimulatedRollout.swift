public import Traffic

/// Runs the real `RolloutStateMachine` on simulated traffic: 60 s with all traffic on the stable
/// pool (blue), which fills the judge's reference window, then the rollout of green along
/// `plan`, one tick a second, until it ends or `maxSeconds` have passed.
public enum SimulatedRollout {
    /// How a simulated rollout ended.
    public enum Outcome: Hashable, Sendable {
        /// Reverted `seconds` after the start, for `reason`.
        case reverted(seconds: Int, reason: RevertReason)
        /// Promoted `seconds` after the start.
        case promoted(seconds: Int)
        /// Still running after `maxSeconds`.
        case unfinished
    }

    /// Simulates one rollout. `adjust` runs before every second of the rollout (0-based) and
    /// may change the traffic (a regression that begins mid-rollout, an incident on both pools).
    public static func run(
        traffic: inout TrafficSimulator, plan: RolloutPlan, analysis: AnalysisConfig = AnalysisConfig(),
        maxSeconds: Int, adjust: (Int, inout TrafficSimulator) -> Void = { _, _ in }
    ) -> Outcome {
        var machine = RolloutStateMachine(stable: .blue)
        var now = 0
        for _ in 0..<ReferenceWindow.seconds {
            now += 1_000
            _ = machine.tick(now: now, evidence: traffic.second(greenWeight: .zero), targetHealthy: true)
        }
        guard (try? machine.handle(.start(plan, target: .green, analysis: analysis), now: now)) != nil else {
            return .unfinished
        }
        for second in 0..<maxSeconds {
            adjust(second, &traffic)
            now += 1_000
            let weight = machine.rollout?.greenWeight ?? .zero
            _ = machine.tick(now: now, evidence: traffic.second(greenWeight: weight), targetHealthy: true)
            switch machine.state {
            case .reverted, .aborted:
                return .reverted(seconds: second + 1, reason: machine.rollout?.reason ?? .aborted)
            case .promoted:
                return .promoted(seconds: second + 1)
            case .idle, .running, .paused:
                continue
            }
        }
        return .unfinished
    }
}
