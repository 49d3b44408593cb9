import Control
import Testing
import Traffic

/// `POST /routes/{name}/rollout` bodies: plans, holds, targets and analysis overrides, and
/// every refusal with its key path.
struct RolloutRequestTests {
    private static let route = Route(
        name: "api", blue: PoolConfig(backends: []), green: PoolConfig(backends: []),
        analysis: AnalysisConfig(errorRateMaxIncrease: 0.01, minRequests: 500))

    private static func decode(_ json: String, stable: Pool = .blue) -> Result<RolloutRequest, RouteLoadFailure> {
        RolloutRequest.decode(Array(json.utf8), route: route, stable: stable)
    }

    @Test func namedPlansKeepTheirHoldsUnlessGiven() throws {
        let canary = try Self.decode(#"{"plan": "canary"}"#).get()
        #expect(canary.plan == .canary && canary.target == .green && canary.analysis == Self.route.analysis)
        let quick = try Self.decode(#"{"plan": "bluegreen", "holds": "30s", "to": "green", "reason": "v2"}"#).get()
        #expect(quick.plan.steps == RolloutPlan.blueGreen.steps && quick.plan.holdsMs == [30_000, 30_000])
        #expect(quick.reason == "v2")
    }

    @Test func aListOfStepsNeedsHoldsAndTheTargetDefaultsToTheOtherPool() throws {
        let custom = try Self.decode(#"{"plan": [5, 12.5, 100], "holds": ["10s", "1m"]}"#, stable: .green).get()
        #expect(custom.plan.steps.map(\.basisPoints) == [500, 1_250, 10_000])
        #expect(custom.plan.holdsMs == [10_000, 60_000])
        #expect(custom.target == .blue)
    }

    @Test func analysisOverridesOnlyWhatItSays() throws {
        let request = try Self.decode(#"{"plan": "canary", "analysis": {"minRequests": 40, "latency": {"maxRatio": 2}}}"#).get()
        #expect(request.analysis.minRequests == 40)
        #expect(request.analysis.latencyMaxRatio == 2)
        #expect(request.analysis.errorRateMaxIncrease == 0.01)
    }

    @Test(arguments: [
        (#"[1]"#, "", "expected an object"),
        (#"{"#, "", "invalid JSON"),
        (#"{}"#, "plan", "is required"),
        (#"{"plan": "slow"}"#, "plan", #"expected "canary", "bluegreen" or a list of percentages"#),
        (#"{"plan": [10, 100]}"#, "holds", "is required for a list of steps"),
        (#"{"plan": [10, 10, 100], "holds": "1m"}"#, "plan", "increasing"),
        (#"{"plan": [10.123, 100], "holds": "1m"}"#, "plan[0]", "at most two decimals"),
        (#"{"plan": [10, 101], "holds": "1m"}"#, "plan[1]", "a percentage from 0 to 100"),
        (#"{"plan": "canary", "holds": ["1m", "1m"]}"#, "holds", "expected one hold or 3"),
        (#"{"plan": "canary", "holds": "500ms"}"#, "holds", "at least 1s"),
        (#"{"plan": [10, 100], "holds": ["999999999h"]}"#, "holds", "at most 720h (30 days)"),
        (#"{"plan": [10, 100], "holds": ["720h1s"]}"#, "holds", "at most 720h (30 days)"),
        (#"{"plan": "canary", "holds": 30}"#, "holds", "expected an array"),
        (#"{"plan": "canary", "to": "red"}"#, "to", #"expected "blue" or "green""#),
        (#"{"plan": "canary", "analysis": {"errorRate": {"maxRatio": 0.5}}}"#, "analysis.errorRate.maxRatio", "a ratio of at least 1"),
        (#"{"plan": "canary", "force": true}"#, "force", "unknown key"),
    ])
    func refusals(json: String, keyPath: String, message: String) {
        guard case .failure(let failure) = Self.decode(json) else {
            Issue.record("\(json) was accepted")
            return
        }
        #expect(failure.errors.contains { $0.keyPath == keyPath && $0.message.contains(message) }, "\(failure.errors)")
    }
}
