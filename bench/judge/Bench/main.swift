// judge-bench: drives the real rollout state machine and judge (Sources/Traffic) with seeded
// simulated traffic and prints JUDGE.md's two tables: seconds to revert per regression, request
// rate and green weight, and false reverts per 30-minute rollout of two identical pools.
// Usage: swift run -c release judge-bench [--runs N] [--aa-runs N] [--long-runs N] [--seed N]
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JudgeSimulation
import Traffic

/// The value after `flag` on the command line, or `fallback`.
func option(_ flag: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: flag) else { return fallback }
    guard index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0 else {
        print("usage: judge-bench [--runs N] [--aa-runs N] [--long-runs N] [--seed N]")
        exit(2)
    }
    return value
}

if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    print("usage: judge-bench [--runs N] [--aa-runs N] [--long-runs N] [--seed N]")
    print("  --runs N       simulated rollouts per cell of the seconds-to-revert table (default 200)")
    print("  --aa-runs N    simulated 30-minute rollouts per row of the false-revert table (default 200)")
    print("  --long-runs N  simulated 24-hour holds per row of the long-hold false-revert table (default 100)")
    print("  --seed N       base seed (default 1)")
    exit(0)
}
let runs = option("--runs", 200)
let aaRuns = option("--aa-runs", 200)
let longRuns = option("--long-runs", 100)
let baseSeed = UInt64(option("--seed", 1))
let clock = ContinuousClock()
let began = clock.now

/// A seed unique to a table, row, column and run.
func seed(_ table: UInt64, _ row: Int, _ column: Int, _ run: Int) -> UInt64 {
    baseSeed &* 0x1_0000_0000 &+ table << 28 &+ UInt64(row) << 20 &+ UInt64(column) << 16 &+ UInt64(run)
}

/// Nearest-rank quantile of sorted seconds; nil (not reverted) sorts last.
func quantile(_ sorted: [Int?], _ q: Double) -> String {
    let rank = max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)
    return sorted[rank].map(String.init) ?? ">1800"
}

// Seconds to revert: the green weight stays constant (one step, held 30 min), as in JUDGE.md.
struct Row {
    var name: String
    var rate: Double
    var green: PoolBehaviour
    var target: [String]
}
let healthy = PoolBehaviour(failureRate: 0.005)
let rows: [Row] = [
    Row(name: "green fully broken", rate: 20, green: PoolBehaviour(failureRate: 1), target: ["4/11", "3/6", "2/3", "2/3"]),
    Row(name: "green fully broken", rate: 100, green: PoolBehaviour(failureRate: 1), target: ["1/2", "1/1", "1/1", "1/1"]),
    Row(name: "+200 ms", rate: 20, green: PoolBehaviour(failureRate: 0.005, addedMs: 200), target: ["4/11", "3/6", "2/3", "2/3"]),
    Row(name: "+200 ms", rate: 100, green: PoolBehaviour(failureRate: 0.005, addedMs: 200), target: ["1/2", "1/1", "1/1", "1/1"]),
    Row(name: "errors 5% vs 0.5%", rate: 20, green: PoolBehaviour(failureRate: 0.05), target: ["123/368", "70/214", "36/105", "31/79"]),
    Row(name: "errors 5% vs 0.5%", rate: 100, green: PoolBehaviour(failureRate: 0.05), target: ["24/79", "14/41", "8/22", "6/16"]),
    Row(name: "errors 5% vs 0.5%", rate: 1000, green: PoolBehaviour(failureRate: 0.05), target: ["3/8", "2/5", "1/3", "1/2"]),
    Row(name: "latency ×1.5", rate: 20, green: PoolBehaviour(failureRate: 0.005, latencyFactor: 1.5), target: ["44/109", "24/61", "15/32", "17/34"]),
    Row(name: "latency ×1.5", rate: 100, green: PoolBehaviour(failureRate: 0.005, latencyFactor: 1.5), target: ["9/22", "5/12", "3/7", "4/7"]),
    Row(name: "errors 1.5% vs 0.5%", rate: 100, green: PoolBehaviour(failureRate: 0.015), target: ["222/682", "122/360", "63/176", "53/138"]),
    Row(name: "errors 1.5% vs 0.5%", rate: 1000, green: PoolBehaviour(failureRate: 0.015), target: ["24/68", "13/35", "7/20", "6/14"]),
    Row(name: "2% of requests +200 ms", rate: 100, green: PoolBehaviour(failureRate: 0.005, slowShare: 0.02, slowAddedMs: 200), target: ["97/287", "50/145", "27/75", "22/57"]),
]
let weights = [5, 10, 25, 50]
print("Seconds to revert, median/p99 over \(runs) runs per cell, measured (JUDGE.md target); blue 0.5% errors")
print()
print("| regression | req/s | " + weights.map { "\($0)%" }.joined(separator: " | ") + " |")
print("|---|---|" + String(repeating: "---|", count: weights.count))
for (rowIndex, row) in rows.enumerated() {
    var cells: [String] = []
    for (column, percent) in weights.enumerated() {
        let plan = try RolloutPlan(steps: [Weight(basisPoints: percent * 100) ?? .zero, .full], holdsMs: [1_800_000])
        var seconds: [Int?] = []
        for run in 0..<runs {
            var traffic = TrafficSimulator(rate: row.rate, blue: healthy, green: row.green, seed: seed(1, rowIndex, column, run))
            if case .reverted(let after, _) = SimulatedRollout.run(traffic: &traffic, plan: plan, maxSeconds: 1_800) {
                seconds.append(after)
            } else {
                seconds.append(nil)
            }
        }
        seconds.sort { ($0 ?? .max) < ($1 ?? .max) }
        cells.append("\(quantile(seconds, 0.5))/\(quantile(seconds, 0.99)) (\(row.target[column]))")
    }
    print("| \(row.name) | \(Int(row.rate)) | " + cells.joined(separator: " | ") + " |")
}

// False reverts: 5% → 10% → 25% → 50% → 100%, 450 s per step, identical pools.
print()
print("False reverts per 30-minute rollout of identical pools (5/10/25/50%, 450 s per step), \(aaRuns) runs per row; JUDGE.md target ≤ 1%")
print()
print("| req/s | blue = green error rate | incident | reverted | promoted | false-revert rate |")
print("|---|---|---|---|---|---|")
let aaPlan = try RolloutPlan(
    steps: [5, 10, 25, 50, 100].map { Weight(basisPoints: $0 * 100) ?? .zero }, holdsMs: [450_000])
var aaRow = 0, aaReverted = 0
for rate in [20.0, 100, 1000] {
    for errorRate in [0.005, 0.02] {
        for incident in [false, true] {
            aaRow += 1
            var reverted = 0, promoted = 0
            for run in 0..<aaRuns {
                let pool = PoolBehaviour(failureRate: errorRate)
                var traffic = TrafficSimulator(rate: rate, blue: pool, green: pool, seed: seed(2, aaRow, 0, run))
                // The incident: 60 s at a random second in which both pools fail 5% and run 2× slower.
                var incidentClock = SeededGenerator(seed: seed(3, aaRow, 0, run))
                let incidentStart = incident ? Int(incidentClock.next() % 1_740) : -100
                let outcome = SimulatedRollout.run(traffic: &traffic, plan: aaPlan, maxSeconds: 2_400) { second, traffic in
                    let during = second >= incidentStart && second < incidentStart + 60
                    let shaped = PoolBehaviour(failureRate: during ? max(errorRate, 0.05) : errorRate, latencyFactor: during ? 2 : 1)
                    traffic.blue = shaped
                    traffic.green = shaped
                }
                switch outcome {
                case .reverted: reverted += 1
                case .promoted: promoted += 1
                case .unfinished: break
                }
            }
            aaReverted += reverted
            let rateText = (Double(reverted) / Double(aaRuns) * 1_000).rounded() / 10
            print("| \(Int(rate)) | \(errorRate * 100)% | \(incident ? "60 s, 5% errors, 2× latency" : "none") | \(reverted) | \(promoted) | \(rateText)% |")
        }
    }
}
let pooled = (Double(aaReverted) / Double(aaRuns * aaRow) * 10_000).rounded() / 100
print("| all | | | \(aaReverted) of \(aaRuns * aaRow) | | \(pooled)% |")

// False reverts in a long hold: one step at 25% held 24 h (576 restarts, of which the judge keeps
// the first component and the 16 most recent), identical pools.
print()
print("False reverts in a 24-hour hold at 25% of identical pools (blue = green 0.5% errors), \(longRuns) runs per row; target ≤ 1%")
print()
print("| req/s | reverted | promoted | false-revert rate |")
print("|---|---|---|---|")
let dayPlan = try RolloutPlan(steps: [Weight(basisPoints: 2_500) ?? .zero, .full], holdsMs: [86_400_000])
for (row, rate) in [20.0, 100].enumerated() {
    var reverted = 0, promoted = 0
    for run in 0..<longRuns {
        var traffic = TrafficSimulator(rate: rate, blue: healthy, green: healthy, seed: seed(4, row, 0, run))
        switch SimulatedRollout.run(traffic: &traffic, plan: dayPlan, maxSeconds: 90_000) {
        case .reverted: reverted += 1
        case .promoted: promoted += 1
        case .unfinished: break
        }
    }
    let rateText = (Double(reverted) / Double(longRuns) * 1_000).rounded() / 10
    print("| \(Int(rate)) | \(reverted) | \(promoted) | \(rateText)% |")
}
print()
print("elapsed: \(clock.now - began)")
