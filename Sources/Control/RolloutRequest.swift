public import Traffic

/// The body of `POST /routes/{name}/rollout`, validated:
/// `{"to": "green", "plan": "canary" | "bluegreen" | [5, 25, 50, 100], "holds": ["30s", "1m", "2m"] | "30s",
/// "analysis": {...}, "reason": "...", "dryRun": true}`. `to` defaults to the pool that is not
/// stable; `holds` default to the named plan's and are required for a list of steps;
/// `analysis` overrides the route's where it says so; `dryRun` asks what would happen.
public struct RolloutRequest: Sendable {
    public var target: Pool
    public var plan: RolloutPlan
    public var analysis: AnalysisConfig
    public var reason: String?
    public var dryRun: Bool

    /// Decodes `body` for `route`; on any problem, every error with its key path.
    public static func decode(_ body: [UInt8], route: Route, stable: Pool) -> Result<RolloutRequest, RouteLoadFailure> {
        var decoder = RouteFileDecoder(file: "request body")
        let root = JSONNode(value: decoder.parseJSON(body), keyPath: "")
        guard decoder.object(root, keys: ["to", "plan", "holds", "analysis", "reason", "dryRun"]) else {
            if decoder.errors.isEmpty { decoder.fail(at: "", "expected a JSON object such as {\"to\": \"green\", \"plan\": \"canary\"}") }
            return .failure(RouteLoadFailure(errors: decoder.errors))
        }
        var target = stable.other
        if let name = decoder.string(root["to"]) {
            if let pool = Pool(name: name) { target = pool } else { decoder.fail(root["to"], "expected \"blue\" or \"green\", got \"\(name)\"") }
        }
        let analysis = decoder.decodeAnalysis(root["analysis"], base: route.analysis)
        let reason = decoder.string(root["reason"])
        let dryRun = decoder.bool(root["dryRun"]) ?? false
        let plan = decodePlan(root["plan"], holds: root["holds"], &decoder)
        guard let plan, decoder.errors.isEmpty else { return .failure(RouteLoadFailure(errors: decoder.errors)) }
        return .success(RolloutRequest(target: target, plan: plan, analysis: analysis, reason: reason, dryRun: dryRun))
    }

    /// `plan` (required) with `holds`: a named plan keeps its holds unless `holds` are given.
    private static func decodePlan(_ node: JSONNode, holds holdsNode: JSONNode, _ decoder: inout RouteFileDecoder) -> RolloutPlan? {
        guard decoder.require(node) else { return nil }
        var holds: [Int]?
        if case .string? = holdsNode.value {
            guard let ms = decoder.duration(holdsNode) else { return nil }
            holds = [ms]
        } else if let elements = decoder.array(holdsNode) {
            let values = elements.compactMap { decoder.duration($0) }
            guard values.count == elements.count else { return nil }
            holds = values
        }
        let steps: [Weight]
        let named: RolloutPlan?
        switch node.value {
        case .string(let name)?:
            switch name {
            case "canary": named = .canary
            case "bluegreen": named = .blueGreen
            default:
                decoder.fail(node, "expected \"canary\", \"bluegreen\" or a list of percentages, got \"\(name)\"")
                return nil
            }
            steps = named!.steps
        default:
            guard let elements = decoder.array(node) else { return nil }
            let weights = elements.compactMap { element -> Weight? in
                guard let number = decoder.number(element, in: 0...100, expected: "a percentage from 0 to 100") else { return nil }
                guard let weight = Weight(percent: number) else {
                    decoder.fail(element, "expected a percentage with at most two decimals, got \(number)")
                    return nil
                }
                return weight
            }
            guard weights.count == elements.count else { return nil }
            steps = weights
            named = nil
        }
        guard let holdsMs = holds ?? named?.holdsMs else {
            decoder.fail(holdsNode, "is required for a list of steps (one duration, or one per step below 100)")
            return nil
        }
        do {
            return try RolloutPlan(steps: steps, holdsMs: holdsMs)
        } catch {
            switch error {
            case .holdCount, .holdTooShort, .holdTooLong: decoder.fail(holdsNode, error.description)
            case .noStepBelowFull, .stepsNotIncreasing, .lastStepNotFull: decoder.fail(node, error.description)
            }
            return nil
        }
    }
}
