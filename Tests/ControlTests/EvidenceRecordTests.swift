import Testing
import Traffic
@testable import Control

struct EvidenceRecordTests {
    private func reading() -> FleetEvidence.Reading {
        var api = SecondEvidence()
        for i in 0..<50 { api.record(.blue, failed: false, micros: 1_000 * i) }
        for i in 0..<7 { api.record(.green, failed: i == 0, micros: 250_000) }
        return FleetEvidence.Reading(instance: "sluice-1:8080", epoch: 7_587_869_551_488_457_991, routes: ["api": api, "web": SecondEvidence()])
    }

    @Test func aReadingRoundTripsThroughTheStoresBytes() throws {
        let bytes = try EvidenceRecord.encode(reading()).encoded()
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""epoch":"7587869551488457991""#))
        #expect(EvidenceRecord.decode(try JSONValue(parsing: bytes)) == reading())
    }

    @Test func aRecordWithAnythingWrongIsRefused() throws {
        let good = EvidenceRecord.encode(reading())
        guard case .object(var object) = good else { return }
        object["epoch"] = .number(7)
        #expect(EvidenceRecord.decode(.object(object)) == nil)
        object = good.objectValue ?? [:]
        object["routes"] = ["api": ["blue": ["requests": 1, "failures": 0, "latency": [1, 2]]]]
        #expect(EvidenceRecord.decode(.object(object)) == nil)
        #expect(EvidenceRecord.decode(["instance": "a"]) == nil)
    }
}
