/// Chooses blue or green for each request by weight, with nginx's smooth weighted round robin
/// (`ngx_http_upstream_round_robin.c`): deterministic and evenly interleaved, so at 10% green
/// every 10 consecutive picks hold exactly one green, and at 50% the pools alternate.
/// Each event loop owns its own picker; it is rebuilt whenever the route's weight changes.
public struct SmoothWeightedPicker: Sendable {
    private let greenWeight: Int
    /// nginx's `current_weight` of each pool. They always sum to zero after a pick, so green's
    /// alone is the whole state (blue's is its negation).
    private var greenCurrent = 0

    /// Starts a fresh sequence for green at `green` and blue at the rest.
    public init(green: Weight) {
        greenWeight = green.basisPoints
    }

    /// Picks the pool for the next request. Adds each pool's weight to its current value, picks
    /// the larger (blue on a tie, as nginx prefers the first peer) and takes the total back
    /// from the winner. Does not allocate.
    public mutating func next() -> Pool {
        let blueCurrent = -greenCurrent + (10_000 - greenWeight)
        greenCurrent += greenWeight
        if greenCurrent > blueCurrent {
            greenCurrent -= 10_000
            return .green
        }
        return .blue
    }
}
