import Traffic

/// The judge's figures as JSON, the same in `GET /routes/{name}/rollout`, `sluice ctl status`,
/// revert events and webhooks: both pools' counts, error rates and quantiles, and each test's
/// statistic next to what it needs to fire.
enum RolloutFigures {
    /// `{"judgedSeconds", "slowFromMs", "pools": {"green": {...}, "blue": {...}}, "tests": {...}}`
    /// with `target` the pool being rolled out.
    static func json(_ status: JudgeStatus, target: Pool) -> JSONValue {
        var tests: [String: JSONValue] = [:]
        for test in status.tests {
            tests[test.test.rawValue] = [
                "statistic": .number(rounded(test.statistic, 3)),
                "threshold": .number(rounded(test.threshold, 3)),
                "guardHolds": .bool(test.guardHolds),
                "fires": .bool(test.fires),
                "target": .number(rounded(test.target, 5)),
                "stable": .number(rounded(test.stable, 5)),
                "needs": .string(needs(test)),
            ]
        }
        return [
            "judgedSeconds": .number(Double(status.seconds)),
            "slowFromMs": status.slowFromMs.map { .number(rounded($0, 2)) } ?? .null,
            "pools": .object([target.name: pool(status.target), target.other.name: pool(status.stable)]),
            "tests": .object(tests),
        ]
    }

    private static func pool(_ summary: PoolSummary) -> JSONValue {
        func ms(_ value: Double?) -> JSONValue { value.map { .number(rounded($0, 2)) } ?? .null }
        return [
            "requests": .number(Double(summary.requests)),
            "failures": .number(Double(summary.failures)),
            "errorRate": .number(rounded(summary.errorRate, 5)),
            "p50Ms": ms(summary.p50Ms),
            "p95Ms": ms(summary.p95Ms),
            "p99Ms": ms(summary.p99Ms),
        ]
    }

    /// What the test still needs before it fires, in words.
    private static func needs(_ test: TestStatus) -> String {
        if test.fires { return "fired" }
        let evidence = test.statistic >= test.threshold
            ? "evidence enough" : "evidence \(rounded(test.statistic, 2)) of \(rounded(test.threshold, 2))"
        return evidence + (test.guardHolds ? "; margins exceeded" : "; margins not exceeded")
    }

    private static func rounded(_ value: Double, _ digits: Int) -> Double {
        guard value.isFinite else { return 0 }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
