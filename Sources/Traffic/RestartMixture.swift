#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One test's running log likelihood ratios: a row per live restart component (step 4 of the judge's method in docs/rollouts.md)
/// with one entry per alternative of the test's grid (steps 1-3), and their mixture, equal
/// weights across the grid, the restart weights across rows.
///
/// Component 0 starts with the rollout and weighs 1/2; restart k (k = 1, 2, …, one every
/// `JudgeSettings.restartSeconds`) weighs (1/2)·1/(k(k+1)). The weights sum to 1 over an
/// unbounded sequence, so no planned duration is needed and Ville's bound holds for a hold of
/// any length. Only component 0 and the `JudgeSettings.recentRestarts` most recent restarts are
/// kept: an older one is dropped (its row reused), which only lowers the statistic, so the
/// bound still holds while memory, saved state and a second's cost stay fixed.
struct RestartMixture: Hashable, Sendable {
    /// Rows kept: component 0 and the recent restarts, restart k in row 1 + (k − 1) mod recent.
    static let rows = 1 + JudgeSettings.recentRestarts
    /// Alternatives in the grid.
    let width: Int
    /// Row-major: row `r`, alternative `k` at `r * width + k`. Rows not started stay 0.
    private(set) var logRatios: [Double]

    /// Zeroed rows.
    init(width: Int) {
        self.width = width
        logRatios = Array(repeating: 0, count: width * Self.rows)
    }

    /// Restores the rows `saved(started:)` returned when `savedStarted` components had started,
    /// now `started` of them. Also reads a state saved before the weights were unbounded: one
    /// row per planned component in component order, of which `savedStarted` had started (fewer
    /// than `started` when the hold ran past the plan); each kept component's row moves to where
    /// it lives now, and one not started then starts now, from 0. Nil unless the rows are finite
    /// numbers in one of those two layouts.
    init?(width: Int, started: Int, saved: [Double], savedStarted: Int) {
        let rowsSaved = saved.count / width
        guard savedStarted >= 1, savedStarted <= started, saved.count % width == 0, saved.allSatisfy(\.isFinite)
        else { return nil }
        self.init(width: width)
        if savedStarted == started && rowsSaved == Self.liveRows(started: started) {
            logRatios.replaceSubrange(0..<saved.count, with: saved)
            return
        }
        guard rowsSaved >= savedStarted else { return nil }
        for c in Self.kept(started: started) where c < savedStarted {
            let row = Self.row(ofComponent: c)
            logRatios.replaceSubrange(row * width..<(row + 1) * width, with: saved[c * width..<(c + 1) * width])
        }
    }

    /// The rows of the `started` components still kept, to persist: only started rows.
    func saved(started: Int) -> [Double] {
        Array(logRatios[..<(width * Self.liveRows(started: started))])
    }

    /// Rows in use once `started` components have started.
    static func liveRows(started: Int) -> Int {
        min(started, rows)
    }

    /// The components kept once `started` have started: the first and the recent restarts.
    static func kept(started: Int) -> [Int] {
        let firstRestart = max(1, started - JudgeSettings.recentRestarts)
        return [0] + Array(firstRestart..<max(firstRestart, started))
    }

    /// The row component `c` (0 for the first, k for restart k) is kept in.
    static func row(ofComponent c: Int) -> Int {
        c == 0 ? 0 : 1 + (c - 1) % JudgeSettings.recentRestarts
    }

    /// log of component `c`'s weight: 1/2 for the first, (1/2)·1/(c(c+1)) for restart c.
    static func logWeight(ofComponent c: Int) -> Double {
        c == 0 ? log(0.5) : log(0.5) - log(Double(c)) - log(Double(c) + 1)
    }

    /// log of the weight of the components not started once `started` have: (1/2)·Σ_{k≥started}
    /// 1/(k(k+1)) = 1/(2·started).
    static func pendingLogWeight(started: Int) -> Double {
        -log(2 * Double(started))
    }

    /// Starts component `c` in its row (dropping the restart kept there). Runs when a restart
    /// component begins, between seconds.
    mutating func start(component c: Int) {
        let row = Self.row(ofComponent: c)
        for k in 0..<width {
            logRatios[row * width + k] = 0
        }
    }

    /// Adds one second's log likelihood ratio increments (one per alternative) to every kept
    /// started component. Runs once a second.
    mutating func add(_ increments: [Double], started: Int) {
        for row in 0..<Self.liveRows(started: started) {
            for k in 0..<width {
                logRatios[row * width + k] += increments[k]
            }
        }
    }

    /// The log of the mixture statistic: Σ_c w_c · mean_k exp(row_c[k]) over the kept started
    /// components, plus the weight of those not started yet, which count as 1 (step 4 of the judge's method in docs/rollouts.md).
    func logStatistic(started: Int) -> Double {
        let logMean = -log(Double(width))
        let terms = Self.kept(started: started).map { c in
            Self.logWeight(ofComponent: c)
                + Self.logSumExp(width) { logRatios[Self.row(ofComponent: c) * width + $0] + logMean }
        } + [Self.pendingLogWeight(started: started)]
        return Self.logSumExp(terms.count) { terms[$0] }
    }

    /// log Σ exp(value(i)) for i in 0..<count, shifted by the largest value so nothing overflows.
    private static func logSumExp(_ count: Int, _ value: (Int) -> Double) -> Double {
        var largest = -Double.infinity
        for i in 0..<count {
            largest = max(largest, value(i))
        }
        guard largest > -.infinity else { return largest }
        var sum = 0.0
        for i in 0..<count {
            sum += exp(value(i) - largest)
        }
        return largest + log(sum)
    }
}
