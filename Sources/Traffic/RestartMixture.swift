#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One test's running log likelihood ratios: a row per restart component (step 4 of
/// docs/rollouts.md's judge's method) with one entry per alternative of the test's grid (step 1-3), and their mixture, equal weights
/// across the grid, the restart weights across rows. Storage is fixed when the rollout starts.
struct RestartMixture: Hashable, Sendable {
    /// Alternatives in the grid.
    let width: Int
    /// Row-major: component `c`, alternative `k` at `c * width + k`. Rows not started stay 0.
    private(set) var logRatios: [Double]

    /// Zeroed rows for `components` restart components.
    init(width: Int, components: Int) {
        self.width = width
        logRatios = Array(repeating: 0, count: width * components)
    }

    /// Restores persisted rows; nil unless there are `components` rows of finite numbers.
    init?(width: Int, components: Int, logRatios: [Double]) {
        guard logRatios.count == width * components, logRatios.allSatisfy(\.isFinite) else { return nil }
        self.width = width
        self.logRatios = logRatios
    }

    /// Adds one second's log likelihood ratio increments (one per alternative) to every started
    /// component. Runs once a second.
    mutating func add(_ increments: [Double], started: Int) {
        for component in 0..<started {
            for k in 0..<width {
                logRatios[component * width + k] += increments[k]
            }
        }
    }

    /// The log of the mixture statistic: Σ_s w_s · mean_k exp(row_s[k]) over the `started`
    /// components, plus `exp(pendingLogWeight)` for the components not started yet, which count
    /// as 1 (step 4 of the judge's method; -infinity when every component has started).
    func logStatistic(started: Int, logWeights: [Double], pendingLogWeight: Double) -> Double {
        let logMean = -log(Double(width))
        let terms = (0..<started).map { component in
            logWeights[component] + Self.logSumExp(width) { logRatios[component * width + $0] + logMean }
        }
        let mixed = Self.logSumExp(terms.count) { terms[$0] }
        return Self.logSumExp(2) { $0 == 0 ? mixed : pendingLogWeight }
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
