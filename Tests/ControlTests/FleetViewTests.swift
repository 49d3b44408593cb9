import Testing
import Traffic
@testable import Control

/// The fleet as an instance reads it from its copy of the store's keys.
struct FleetViewTests {
    private let keys = FleetKeys(prefix: "/sluice")

    private func kv(_ key: [UInt8], _ value: [UInt8], create: Int64 = 1, mod: Int64 = 1) -> EtcdKeyValue {
        EtcdKeyValue(key: key, value: value, createRevision: create, modRevision: mod, version: 1, lease: 0)
    }

    private func view(_ kvs: [EtcdKeyValue]) -> FleetView {
        FleetView(keys: keys, kvs: Dictionary(uniqueKeysWithValues: kvs.map { ($0.key, $0) }))
    }

    @Test func keysAreSpelledUnderThePrefixAndReadBack() {
        #expect(keys.prefix == "/sluice/")
        #expect(String(decoding: keys.weights("api"), as: UTF8.self) == "/sluice/routes/api/weights")
        #expect(keys.route(of: keys.rollout("api"))! == ("api", "rollout"))
        #expect(keys.route(of: keys.instance("api")) == nil)
        #expect(keys.route(of: Array("/sluice/routes//weights".utf8)) == nil)
    }

    @Test func theLowestCreateRevisionLeadsAndInstancesAreRead() throws {
        let record = InstanceRecord(name: "b", admin: "127.0.0.1:9901", listen: "0.0.0.0:8080", startedAt: "t0", lastSeen: "t1",
                                    appliedRevision: 9_007_199_254_740_993, weights: ["api": Weight(basisPoints: 1_250)!])
        let fleet = view([
            kv(keys.leader + Array("7".utf8), Array("b".utf8), create: 12),
            kv(keys.leader + Array("9".utf8), Array("c".utf8), create: 30),
            kv(keys.instance("b"), try record.json.encoded()),
            kv(keys.instance("junk"), Array("{".utf8)),
        ])
        #expect(fleet.leader == "b")
        #expect(fleet.instances == ["b": record])
        #expect(view([]).leader == nil)
    }

    @Test func sharedWeightsAndRolloutsCarryTheirRevisionAndWriter() throws {
        let state = RouteState(greenWeight: Weight(basisPoints: 1_000)!, stable: .blue, updatedBy: "ci")
        var machine = RolloutStateMachine(stable: .blue)
        _ = try machine.handle(.start(try RolloutPlan(steps: [Weight(basisPoints: 1_000)!, .full], holdsMs: [60_000]), target: .green,
                                      analysis: AnalysisConfig()), now: 0)
        let record = RolloutRecord.encode(machine.rollout!, judge: machine.judgeState!)
        let fleet = view([
            kv(keys.weights("api"), FleetView.weightsValue(state, instance: "a"), mod: 40),
            kv(keys.rollout("api"), FleetView.rolloutValue(stable: .blue, record: record, writer: "a@t0"), mod: 40),
            kv(keys.rollout("web"), FleetView.rolloutValue(stable: .green, record: nil, writer: "b@t1"), mod: 41),
            kv(keys.weights("bad"), Array(#"{"greenWeight": 20000}"#.utf8)),
        ])
        #expect(fleet.weights["api"] == FleetView.SharedWeights(state: state, modRevision: 40, instance: "a"))
        #expect(fleet.weights["bad"] == nil)
        let api = try #require(fleet.rollouts["api"])
        #expect(api.stable == .blue && api.writer == "a@t0" && api.modRevision == 40)
        let stored = try #require(api.record)
        let (progress, judge) = try #require(RolloutRecord.decode(stored))
        #expect(RolloutStateMachine(stable: api.stable, rollout: progress, judge: judge)?.state == .running)
        #expect(fleet.rollouts["web"]?.record == nil && fleet.rollouts["web"]?.stable == .green)
    }

    @Test func publishedEvidenceIsRead() throws {
        var api = SecondEvidence()
        api.record(.green, failed: true, micros: 1_000)
        let reading = FleetEvidence.Reading(instance: "a", epoch: 5, routes: ["api": api])
        let fleet = view([kv(keys.evidence("a"), try EvidenceRecord.encode(reading).encoded()),
                          kv(keys.evidence("b"), Array("null".utf8))])
        #expect(fleet.evidence == [reading])
    }
}
