import Testing
@testable import Control
import Traffic

struct RecentSecondsTests {
    /// A second in which `pool` served `requests` requests, `failures` of them failed, and the
    /// successes took 1 ms, 2 ms, ... in turn.
    static func second(blue: Int, failures: Int = 0) -> SecondEvidence {
        var evidence = SecondEvidence()
        for i in 0..<blue { evidence.record(.blue, failed: i < failures, micros: 1_000 * (i + 1)) }
        evidence.record(.green, failed: false, micros: 5_000)
        return evidence
    }

    @Test func emptyBeforeTheFirstSecond() {
        let ring = RecentSeconds()
        #expect(ring.latest == 0)
        #expect(ring.seconds(since: 0).isEmpty)
    }

    @Test func keepsEachPoolsCountsAndQuantiles() {
        var ring = RecentSeconds()
        let evidence = Self.second(blue: 100, failures: 4)
        ring.append(evidence)
        ring.append(SecondEvidence())
        #expect(ring.latest == 2)
        let seconds = ring.seconds(since: 0)
        #expect(seconds.map(\.number) == [1, 2])
        let blue = seconds[0].blue
        #expect(blue.requests == 100 && blue.failures == 4)
        #expect(blue.p50Ms == Float(evidence.blue.latency.quantile(0.5)!))
        #expect(blue.p99Ms == Float(evidence.blue.latency.quantile(0.99)!))
        #expect(blue.p50Ms < blue.p95Ms && blue.p95Ms < blue.p99Ms)
        #expect(seconds[0].green.requests == 1 && seconds[0].green.failures == 0)
        // A second without successes has no quantiles.
        #expect(seconds[1].blue.requests == 0 && seconds[1].blue.p50Ms.isNaN && seconds[1].green.p99Ms.isNaN)
        #expect(ring.seconds(since: 1).map(\.number) == [2])
        #expect(ring.seconds(since: 2).isEmpty)
    }

    @Test func keepsTheLastFifteenMinutesOldestFirst() {
        var ring = RecentSeconds()
        let total = RecentSeconds.capacity + 37
        for n in 1...total { ring.append(Self.second(blue: n % 50)) }
        let seconds = ring.seconds(since: 0)
        #expect(seconds.count == RecentSeconds.capacity)
        #expect(seconds.first?.number == total - RecentSeconds.capacity + 1 && seconds.last?.number == total)
        #expect(seconds.allSatisfy { Int($0.blue.requests) == $0.number % 50 })
        #expect(ring.seconds(since: total - 3).map(\.number) == [total - 2, total - 1, total])
        // A `since` older than the ring gets what is kept.
        #expect(ring.seconds(since: 5).count == RecentSeconds.capacity)
    }
}
