/// What an audit event records; the raw value is the `type` written in `events.jsonl` and
/// served at `GET /events`.
public enum EventType: String, Sendable, CaseIterable {
    /// Sluice started (state loaded, listeners open).
    case start
    /// Sluice is stopping (SIGTERM/SIGINT), after the state was saved. A `start` without a
    /// `stop` before it marks a crash.
    case stop
    /// A route's weights were set by hand (`PUT /routes/{name}/weights`).
    case weights
    /// The route files were reloaded (SIGHUP or `POST /reload`).
    case reload
    /// A reload was refused; the old routes keep serving.
    case reloadRefused = "reload_refused"
    /// A backend turned healthy or unhealthy.
    case health
    /// A rollout was started (`POST /routes/{name}/rollout`).
    case rollout
    /// A rollout moved to its next step, or had its hold extended.
    case rolloutStep = "rollout_step"
    /// The judge's verdict on a hold.
    case verdict
    /// The target was sent back to 0% by a regression.
    case revert
    case promote
    case abort
    case rollback
    case pause
    case resume
    /// The fleet's store answers again after an outage (with since when and for how long).
    case store
}
