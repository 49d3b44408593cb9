#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The judge's three tests, in the order they are checked each second.
public enum JudgeTest: String, Hashable, Sendable, CaseIterable {
    /// Error attribution: green's share of the failures against its share of the requests.
    case errors
    /// Slow-tail attribution: green's share of the successes slower than the reference p99.
    case latencyTail
    /// Rank test: green's successes shifted up within the reference distribution.
    case latencyShift

    /// The test's per-rollout false-revert budget α; the three add up to 1%.
    public var alpha: Double {
        self == .errors ? 0.005 : 0.0025
    }

    /// log(1/α): the log mixture statistic at which the test fires.
    public var threshold: Double {
        -log(alpha)
    }

    /// The test's index in per-test arrays (`allCases` order).
    var position: Int {
        switch self {
        case .errors: 0
        case .latencyTail: 1
        case .latencyShift: 2
        }
    }

    /// What a revert by this test says.
    public var reason: String {
        switch self {
        case .errors: "error rate"
        case .latencyTail: "latency tail (p99)"
        case .latencyShift: "latency distribution shift"
        }
    }
}
