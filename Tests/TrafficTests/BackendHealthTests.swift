import Testing
import Traffic

/// Mutating calls cannot sit inside #expect; these return their result.
private func observe(_ h: inout HealthTracker, _ success: Bool, _ down: Int, _ up: Int) -> Bool {
    h.observe(success: success, unhealthyAfter: down, healthyAfter: up)
}

private func fail(_ e: inout PassiveEjection, _ now: Int64) -> Bool {
    e.recordFailure(now: now)
}

@Suite struct HealthTrackerTests {
    @Test func flipsOnlyAfterResultsInARow() {
        var h = HealthTracker()
        #expect(h.healthy)
        #expect(!observe(&h, false, 3, 2))
        #expect(!observe(&h, false, 3, 2))
        #expect(!observe(&h, true, 3, 2)) // streak broken
        #expect(!observe(&h, false, 3, 2))
        #expect(!observe(&h, false, 3, 2))
        #expect(h.healthy)
        #expect(observe(&h, false, 3, 2))
        #expect(!h.healthy)
        #expect(!observe(&h, true, 3, 2))
        #expect(!h.healthy)
        #expect(observe(&h, true, 3, 2))
        #expect(h.healthy)
    }

    @Test func repeatedSameResultNeverFlips() {
        var h = HealthTracker()
        for _ in 0..<100 { #expect(!observe(&h, true, 1, 1)) }
        #expect(h.healthy)
    }
}

@Suite struct PassiveEjectionTests {
    @Test func ejectsAfterThresholdThenBacksOffExponentially() {
        var e = PassiveEjection()
        var now: Int64 = 10_000
        for _ in 1..<PassiveEjection.threshold { #expect(!fail(&e, now)) }
        #expect(e.isAvailable(now: now))
        #expect(fail(&e, now))
        #expect(!e.isAvailable(now: now))
        #expect(!e.isAvailable(now: now + PassiveEjection.baseBackoffMs - 1))
        now += PassiveEjection.baseBackoffMs
        #expect(e.isAvailable(now: now))
        // Back from ejection: one more failure ejects again, for twice as long.
        #expect(fail(&e, now))
        #expect(!e.isAvailable(now: now + 2 * PassiveEjection.baseBackoffMs - 1))
        #expect(e.isAvailable(now: now + 2 * PassiveEjection.baseBackoffMs))
    }

    @Test func backoffIsCapped() {
        var e = PassiveEjection()
        var now: Int64 = 0
        for _ in 0..<PassiveEjection.threshold { _ = e.recordFailure(now: now) }
        for _ in 0..<30 {
            now = e.ejectedUntil
            #expect(fail(&e, now))
            #expect(e.ejectedUntil - now <= PassiveEjection.maxBackoffMs)
        }
        #expect(e.ejectedUntil - now == PassiveEjection.maxBackoffMs)
    }

    @Test func successClearsFailuresAndEjection() {
        var e = PassiveEjection()
        for _ in 0..<PassiveEjection.threshold { _ = e.recordFailure(now: 0) }
        e.recordSuccess()
        #expect(e.isAvailable(now: 0))
        for _ in 1..<PassiveEjection.threshold { #expect(!fail(&e, 0)) }
    }
}
