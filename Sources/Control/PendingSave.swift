import Traffic

/// The state in memory is newer than `state.json`: a save failed (a full disk, no file
/// descriptor left) after a decision that could not be taken back, such as a revert. Kept by
/// the control plane and retried every tick until a save succeeds, so a restart never undoes
/// the decision once saving works again; status, `/health/ready` and the metrics say so
/// meanwhile.
struct PendingSave: Sendable {
    /// Monotonic milliseconds of the first failed save.
    var sinceMs: Int
    /// The last failure.
    var error: StateError

    /// The fields status and `/health/ready` add: `stateSaved` (false), how long the state has
    /// been unsaved and why, at `nowMs`.
    func json(nowMs: Int) -> [String: JSONValue] {
        [
            "stateSaved": false,
            "stateUnsavedFor": .string(formatDuration(ms: (nowMs - sinceMs) / 1_000 * 1_000)),
            "stateError": .string(error.description),
        ]
    }
}
