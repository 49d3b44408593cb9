public import Traffic

/// A route whose run-time weights or stable pool, kept in the state dir, differ from its
/// route file's: they win at start and on reload, and `--reset-state` would put the file's
/// back (after a promotion the file often still says `"stable": "blue"`). Found by
/// `sluice check` (a warning) and by `sluice serve --reset-state` (refused without
/// `--confirm-reset`).
public struct StateOverride: Sendable, CustomStringConvertible {
    public let route: String
    public let file: (stable: Pool, green: Weight)
    public let state: (stable: Pool, green: Weight, by: String, at: String)

    /// `app: the state directory's stable green, green 100% (set by admin at ...) wins over
    /// the route file's stable blue, green 0%`.
    public var description: String {
        "\(route): the state directory's stable \(state.stable.name), green \(state.green.percentText)%"
            + " (set by \(state.by) at \(state.at)) wins over the route file's stable \(file.stable.name), green \(file.green.percentText)%"
    }

    /// The routes of `routes` whose saved state in `saved` differs from their file, by name.
    public static func find(_ saved: StateFile, _ routes: RouteTable) -> [StateOverride] {
        routes.routes.sorted { $0.name < $1.name }.compactMap { route in
            guard let kept = saved.routes[route.name], kept.stable != route.stable || kept.greenWeight != route.greenWeight else {
                return nil
            }
            return StateOverride(route: route.name, file: (route.stable, route.greenWeight),
                                 state: (kept.stable, kept.greenWeight, kept.updatedBy, kept.updatedAt))
        }
    }
}
