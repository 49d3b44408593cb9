import Testing
import Traffic

struct FleetEvidenceTests {
    /// Cumulative counters: `blue`/`green` requests with `failed` green failures, each
    /// success at 10 ms.
    private func evidence(blue: Int, green: Int, failed: Int = 0) -> SecondEvidence {
        var e = SecondEvidence()
        for _ in 0..<blue { e.record(.blue, failed: false, micros: 10_000) }
        for i in 0..<green { e.record(.green, failed: i < failed, micros: 10_000) }
        return e
    }

    private func reading(_ name: String, epoch: Int64 = 1, _ e: SecondEvidence) -> FleetEvidence.Reading {
        FleetEvidence.Reading(instance: name, epoch: epoch, routes: ["api": e])
    }

    @Test func theFirstTakeOnlyRecordsWhereEveryoneStands() {
        var sum = FleetEvidence()
        #expect(sum.take([reading("a", evidence(blue: 50, green: 5))]) == [:])
        #expect(sum.instances == ["a"])
    }

    @Test func theSumAddsEveryInstancesNewCounters() {
        var sum = FleetEvidence()
        _ = sum.take([reading("a", evidence(blue: 10, green: 1)), reading("b", evidence(blue: 20, green: 2))])
        let taken = sum.take([reading("a", evidence(blue: 40, green: 5, failed: 1)), reading("b", evidence(blue: 30, green: 4, failed: 2)),
                              reading("c", evidence(blue: 7, green: 3, failed: 3))])
        // a: +30 blue, +4 green (1 failed); b: +10, +2 (2 failed); c is new: all of it.
        #expect(taken["api"]?.blue.requests == 47)
        #expect(taken["api"]?.green.requests == 9 && taken["api"]?.green.failures == 6)
        #expect(taken["api"]?.blue.latency.count == 47 && taken["api"]?.green.latency.count == 3)
        #expect(sum.instances == ["a", "b", "c"])
    }

    @Test func aRegressionVisibleOnlyInTheSumIsInTheSum() {
        var sum = FleetEvidence()
        let names = ["a", "b", "c"]
        _ = sum.take(names.map { reading($0, evidence(blue: 0, green: 0)) })
        // Each instance: 1 failure in 30 green requests; the sum: 3 in 90.
        let taken = sum.take(names.map { reading($0, evidence(blue: 300, green: 30, failed: 1)) })
        #expect(taken["api"]?.green == PoolSecond(requests: 90, failures: 3, latency: evidence(blue: 0, green: 87).green.latency))
    }

    @Test func aDeadInstanceLeavesTheSumAndARestartCountsFromZero() {
        var sum = FleetEvidence()
        _ = sum.take([reading("a", evidence(blue: 10, green: 0)), reading("b", evidence(blue: 10, green: 0))])
        // b is gone; a restarted (new epoch) with 3 requests since.
        let taken = sum.take([reading("a", epoch: 2, evidence(blue: 3, green: 0))])
        #expect(taken["api"]?.blue.requests == 3 && sum.instances == ["a"])
        // Counters that went back under the same epoch count from zero too.
        let again = sum.take([reading("a", epoch: 2, evidence(blue: 1, green: 0))])
        #expect(again["api"]?.blue.requests == 1)
    }

    @Test func aRepeatedReadingAddsNothing() {
        var sum = FleetEvidence()
        let r = reading("a", evidence(blue: 10, green: 2))
        _ = sum.take([r])
        #expect(sum.take([r]) == ["api": SecondEvidence()])
    }
}
