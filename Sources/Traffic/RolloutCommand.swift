/// What an operator (admin API, `sluice ctl`) asks of a route's rollout.
public enum RolloutCommand: Hashable, Sendable {
    /// Starts a rollout of `target` (the pool that is not stable) along `plan`, judged with the
    /// margins of `analysis`.
    case start(RolloutPlan, target: Pool, analysis: AnalysisConfig)

    /// Whether the command moves traffic for good (promote, abort, rollback): when its save
    /// fails it still takes effect and the save stays pending (docs/rollouts.md), rather than
    /// being refused like the others.
    public var isDecision: Bool {
        switch self {
        case .promote, .abort, .rollback: true
        case .start, .pause, .resume: false
        }
    }
    /// Stops advancing; a regression still reverts.
    case pause
    /// Advances again when the hold is over.
    case resume
    /// Advances to the next step now (promotes at the last one), whatever the hold and evidence.
    case promote
    /// Sends the target back to 0% now.
    case abort
    /// After a promotion, sends all traffic back to the previous stable pool.
    case rollback

    /// The command's name, as in the admin API's paths.
    public var name: String {
        switch self {
        case .start: "start"
        case .pause: "pause"
        case .resume: "resume"
        case .promote: "promote"
        case .abort: "abort"
        case .rollback: "rollback"
        }
    }
}
