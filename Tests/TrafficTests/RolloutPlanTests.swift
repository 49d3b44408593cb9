import Testing
import Traffic

struct RolloutPlanTests {
    private func weights(_ percents: [Int]) -> [Weight] {
        percents.map { Weight(basisPoints: $0 * 100)! }
    }

    @Test func builtInPlans() {
        #expect(RolloutPlan.blueGreen.steps == weights([10, 50, 100]))
        #expect(RolloutPlan.blueGreen.holdsMs == [300_000, 600_000])
        #expect(RolloutPlan.canary.steps == weights([5, 25, 50, 100]))
        #expect(RolloutPlan.canary.holdsMs == [1_800_000, 3_600_000, 7_200_000])
    }

    @Test func oneHoldAppliesToEveryStep() throws {
        let plan = try RolloutPlan(steps: weights([5, 25, 50, 100]), holdsMs: [30_000])
        #expect(plan.holdsMs == [30_000, 30_000, 30_000])
        let each = try RolloutPlan(steps: weights([5, 25, 50, 100]), holdsMs: [30_000, 60_000, 120_000])
        #expect(each.holdsMs == [30_000, 60_000, 120_000])
    }

    @Test func invalidPlansAreRefusedWithAReason() {
        #expect(throws: RolloutPlanError.noStepBelowFull) { try RolloutPlan(steps: weights([100]), holdsMs: [1_000]) }
        #expect(throws: RolloutPlanError.stepsNotIncreasing) { try RolloutPlan(steps: weights([50, 25, 100]), holdsMs: [1_000]) }
        #expect(throws: RolloutPlanError.stepsNotIncreasing) { try RolloutPlan(steps: weights([10, 10, 100]), holdsMs: [1_000]) }
        #expect(throws: RolloutPlanError.stepsNotIncreasing) { try RolloutPlan(steps: weights([0, 50, 100]), holdsMs: [1_000]) }
        #expect(throws: RolloutPlanError.lastStepNotFull) { try RolloutPlan(steps: weights([10, 50]), holdsMs: [1_000]) }
        #expect(throws: RolloutPlanError.holdCount(expected: 2, given: 3)) {
            try RolloutPlan(steps: weights([10, 50, 100]), holdsMs: [1_000, 1_000, 1_000])
        }
        #expect(throws: RolloutPlanError.holdCount(expected: 2, given: 0)) { try RolloutPlan(steps: weights([10, 50, 100]), holdsMs: []) }
        #expect(throws: RolloutPlanError.holdTooShort(ms: 500)) { try RolloutPlan(steps: weights([10, 100]), holdsMs: [500]) }
        #expect(RolloutPlanError.holdTooShort(ms: 500).description == "a hold must be at least 1s, got 500ms")
    }

    @Test func holdsAreAcceptedUpToThirtyDays() throws {
        let month = 30 * 24 * 3_600_000
        #expect(try RolloutPlan(steps: weights([10, 100]), holdsMs: [month]).holdsMs == [month])
        #expect(throws: RolloutPlanError.holdTooLong(ms: month + 1)) { try RolloutPlan(steps: weights([10, 100]), holdsMs: [month + 1]) }
        // The hold that once made the judge allocate 1.3 TB.
        let huge = try #require(parseDuration("999999999h"))
        #expect(throws: RolloutPlanError.holdTooLong(ms: huge)) { try RolloutPlan(steps: weights([10, 100]), holdsMs: [huge]) }
        #expect(RolloutPlanError.holdTooLong(ms: huge).description.hasPrefix("a hold must be at most 720h (30 days)"))
    }
}
