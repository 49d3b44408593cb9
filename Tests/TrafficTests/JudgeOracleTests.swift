import Foundation
import JudgeSimulation
import Testing
import Traffic

/// Feeds the same per-second stream to the Swift judge and to the method's Python reference controller
/// (`<repo>/../shared/judge/reference_controller.py`) and compares every second's three
/// statistics and the decision second.
struct JudgeOracleTests {
    /// `<repo>/../shared/judge`, beside the repository as in CI.
    static let judgeDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/judge")

    static let python: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
        .split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("python3") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    static let available = python != nil
        && FileManager.default.fileExists(atPath: judgeDirectory.appendingPathComponent("reference_controller.py").path)

    /// Reads the stream from stdin, drives RollbackController tick by tick, and prints per tick
    /// `t reason err tail rank` with the statistics as the controller computes them.
    static let driver = """
        import math, sys
        sys.path.insert(0, sys.argv[1])
        from reference_controller import RollbackController, NB, lse
        lines = sys.stdin.read().split("\\n")
        c = RollbackController()
        # Sluice's restart weights (JUDGE.md step 4, unbounded holds): 1/2, then (1/2)/(k(k+1));
        # the last entry carries the rest of the series, so the list sums to 1.
        c.restart_w = [0.5] + [0.5 / (k * (k + 1)) for k in range(1, 10000)] + [0.5 / 10000]
        c.set_reference([int(x) for x in lines[0].split()])
        for line in lines[1:]:
            if not line.strip():
                continue
            v = [int(x) for x in line.split()]
            c.n = [v[0], v[2]]
            c.f = [v[1], v[3]]
            c.h = [v[4:4 + NB], v[4 + NB:4 + 2 * NB]]
            reason = c.tick()
            k = len(c.err.comps)
            logw = [math.log(w) for w in c.restart_w[:k]]
            pending = sum(c.restart_w[k:])
            def stat(ch):
                s = ch.log_stat(logw)
                return lse([s, math.log(pending)]) if pending > 0 else s
            print(c.t, (reason or "-").replace(" ", "_"), repr(stat(c.err)), repr(stat(c.tail)), repr(stat(c.rank)))
            if reason:
                break
        """

    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var percent: Int
        var green: PoolBehaviour
        var onset: Int = 0
        var expected: JudgeTest?
        var testDescription: String { name }
    }

    @Test(.enabled(if: available, "skipped: needs python3 on PATH and <repo>/../shared/judge/reference_controller.py"),
          arguments: [
              Scenario(name: "A/A", percent: 25, green: PoolBehaviour(failureRate: 0.01)),
              Scenario(name: "errors 3% vs 1%", percent: 10, green: PoolBehaviour(failureRate: 0.03), expected: .errors),
              Scenario(name: "errors 2% vs 1% from 400 s", percent: 25, green: PoolBehaviour(failureRate: 0.02), onset: 400, expected: .errors),
              Scenario(name: "3% of requests +300 ms", percent: 25, green: PoolBehaviour(failureRate: 0.01, slowShare: 0.03, slowAddedMs: 300), expected: .latencyTail),
              Scenario(name: "latency ×1.2", percent: 50, green: PoolBehaviour(failureRate: 0.01, latencyFactor: 1.2), expected: .latencyShift),
              Scenario(name: "green broken", percent: 10, green: PoolBehaviour(failureRate: 1), expected: .errors),
          ])
    func sameStatisticsAndDecisionSecondAsTheReference(scenario: Scenario) throws {
        let blue = PoolBehaviour(failureRate: 0.01), seconds = 900
        var traffic = TrafficSimulator(rate: 200, blue: blue, green: blue, seed: 17)
        var reference = LatencyHistogram()
        for _ in 0..<60 { reference.add(traffic.second(greenWeight: .zero).blue.latency) }
        var input = reference.counts.map(String.init).joined(separator: " ") + "\n"
        // The Swift side: the judge with the reference controller's guards (no ratio guard on errors,
        // no absolute latency margin).
        var judge = Judge(
            settings: JudgeSettings(analysis: AnalysisConfig(errorRateMaxIncrease: 0.005, errorRateMaxRatio: 1, latencyMaxIncreaseMs: 0, latencyMaxRatio: 1.25)),
            reference: reference)
        var statuses: [JudgeStatus] = []
        for second in 0..<seconds {
            if second == scenario.onset { traffic.green = scenario.green }
            let evidence = traffic.second(greenWeight: Weight(basisPoints: scenario.percent * 100)!)
            // reference_controller.py scores a second only when both pools have successes.
            try #require(evidence.green.latency.count > 0 && evidence.blue.latency.count > 0 || scenario.green.failureRate == 1)
            let (g, b) = (evidence.green, evidence.blue)
            input += "\(g.requests) \(g.failures) \(b.requests) \(b.failures) "
                + (g.latency.counts + b.latency.counts).map(String.init).joined(separator: " ") + "\n"
            let status = judge.observe(target: g, stable: b)
            statuses.append(status)
            if status.verdict != nil { break }
        }

        let process = Process()
        process.executableURL = Self.python
        process.arguments = ["-c", Self.driver, Self.judgeDirectory.path]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)

        let rows = output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        try #require(rows.count == statuses.count, "Python judged \(rows.count) seconds, Swift \(statuses.count)")
        for (row, status) in zip(rows, statuses) {
            let python = row[2...].compactMap(Double.init)
            for (test, value) in zip(status.tests, python) {
                #expect(abs(test.statistic - value) <= 1e-9 * max(1, abs(value)), "second \(row[0]) \(test.test)")
            }
            let reason = status.verdict.map { $0.test.reason.replacingOccurrences(of: " ", with: "_") } ?? "-"
            #expect(row[1] == reason, "second \(row[0])")
        }
        #expect(statuses.last?.verdict?.test == scenario.expected)
        if scenario.expected != nil {
            #expect(statuses.count > scenario.onset)
        }
    }
}
