import Foundation
import Synchronization
import Testing
import Control

struct EventStoreTests {
    /// The file's lines, without the final empty one.
    static func lines(_ directory: borrowing TemporaryStateDirectory) throws -> [String] {
        String(decoding: try directory.bytes("events.jsonl"), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    /// A line as an older run would have written it.
    static func line(_ id: Int, reason: String = "flapping") -> String {
        #"{"actor":"sluice","details":{"backend":"127.0.0.1:8001"},"id":\#(id),"reason":"\#(reason)","timestamp":"2025-05-01T10:00:00.000Z","type":"health"}"#
    }

    @Test func eventsGetIdsFromOneAndOneJSONLineEach() throws {
        let directory = TemporaryStateDirectory()
        let store = try EventStore(directory: directory.path)
        #expect(store.latestID == 0)
        #expect(store.events(since: 0, limit: 10) == [])
        let first = try store.append(type: .start, actor: "sluice")
        let second = try store.append(type: .weights, route: "api", actor: "ci", reason: "smoke test passed",
                                      details: ["from": 0, "to": 1_000])
        let third = try store.append(type: .reloadRefused, actor: "sluice", details: ["error": "routes/api.json: name: missing"])
        #expect([first, second, third].map(\.id) == [1, 2, 3])
        #expect(store.latestID == 3)
        #expect(store.events(since: 0, limit: 10) == [first, second, third])
        #expect(second.route == "api" && second.actor == "ci" && second.reason == "smoke test passed")
        #expect(second.details == ["from": .number(0), "to": .number(1_000)])
        #expect(store.path == directory.path + "/events.jsonl")
        #expect(try directory.permissions("events.jsonl") == 0o600)
        #expect(try directory.permissions() == 0o700)

        let lines = try Self.lines(directory)
        #expect(lines.count == 3)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.map { $0?["id"] as? Int } == [1, 2, 3])
        #expect(objects.map { $0?["type"] as? String } == ["start", "weights", "reload_refused"])
        #expect(objects[0]?.keys.sorted() == ["actor", "details", "id", "timestamp", "type"])
        #expect(objects[1]?["route"] as? String == "api")
        #expect(objects[1]?["reason"] as? String == "smoke test passed")
        #expect((objects[1]?["details"] as? [String: Any])?["to"] as? Int == 1_000)
        #expect(lines[2].contains(#""error":"routes/api.json: name: missing""#))
        let timestamp = try #require(objects[0]?["timestamp"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(timestamp)")
    }

    @Test func idsContinueAfterARestart() throws {
        let directory = TemporaryStateDirectory()
        var written: [Event] = []
        do {
            let store = try EventStore(directory: directory.path)
            for step in 1...3 {
                written.append(try store.append(type: .rolloutStep, route: "api", actor: "sluice", details: ["step": .number(Double(step))]))
            }
        }
        let store = try EventStore(directory: directory.path)
        #expect(store.latestID == 3)
        #expect(store.skippedLineOffsets == [])
        #expect(store.events(since: 0, limit: 100) == written)
        #expect(try store.append(type: .promote, route: "api", actor: "sluice").id == 4)
    }

    @Test func aPartialLastLineIsSkippedAndTheNextEventStartsAFreshLine() throws {
        let directory = TemporaryStateDirectory()
        var written: [Event] = []
        do {
            let store = try EventStore(directory: directory.path)
            written.append(try store.append(type: .start, actor: "sluice"))
            written.append(try store.append(type: .weights, route: "api", actor: "ci"))
        }
        // The crash mid-append.
        let before = try directory.bytes("events.jsonl")
        let partial = #"{"actor":"sluice","details":{},"id":3,"timest"#
        try directory.write("events.jsonl", before + Array(partial.utf8))
        do {
            let store = try EventStore(directory: directory.path)
            #expect(store.latestID == 2)
            #expect(store.skippedLineOffsets == [before.count])
            #expect(store.events(since: 0, limit: 10) == written)
            written.append(try store.append(type: .start, actor: "sluice"))
            #expect(written.last?.id == 3)
        }
        #expect(try Self.lines(directory).count == 4)
        #expect(try Self.lines(directory)[2] == partial)
        let store = try EventStore(directory: directory.path)
        #expect(store.latestID == 3)
        #expect(store.skippedLineOffsets == [before.count])
        #expect(store.events(since: 0, limit: 10) == written)
    }

    @Test func aCompleteLastLineWithoutItsNewlineIsKept() throws {
        let directory = TemporaryStateDirectory()
        try directory.write("events.jsonl", Self.line(1) + "\n" + Self.line(2))
        do {
            let store = try EventStore(directory: directory.path)
            #expect(store.events(since: 0, limit: 10).map(\.id) == [1, 2])
            #expect(try store.append(type: .stop, actor: "sluice").id == 3)
        }
        #expect(try Self.lines(directory).count == 3)
        let store = try EventStore(directory: directory.path)
        #expect(store.events(since: 0, limit: 10).map(\.id) == [1, 2, 3])
        #expect(store.skippedLineOffsets == [])
    }

    @Test func corruptAndOutOfOrderLinesAreSkippedAndListed() throws {
        let directory = TemporaryStateDirectory()
        let lines = [Self.line(1), "not json", Self.line(5), "", Self.line(3), #"{"id": 4}"#, Self.line(4)]
        try directory.write("events.jsonl", lines.joined(separator: "\n") + "\n")
        let offsets = lines.indices.map { index in lines[..<index].reduce(0) { $0 + $1.utf8.count + 1 } }
        let store = try EventStore(directory: directory.path)
        #expect(store.events(since: 0, limit: 10).map(\.id) == [1, 3, 4])
        #expect(store.skippedLineOffsets == [offsets[1], offsets[2], offsets[5]])
        #expect(store.latestID == 4)
        #expect(try store.append(type: .health, actor: "sluice").id == 5)
    }

    @Test func sinceAndLimitPageThroughTheLog() throws {
        let directory = TemporaryStateDirectory()
        let store = try EventStore(directory: directory.path)
        for _ in 1...5 { try store.append(type: .reload, actor: "sluice") }
        #expect(store.events(since: 0, limit: 2).map(\.id) == [1, 2])
        #expect(store.events(since: 2, limit: 10).map(\.id) == [3, 4, 5])
        #expect(store.events(since: 4, limit: .max).map(\.id) == [5])
        #expect(store.events(since: 5, limit: 10) == [])
        #expect(store.events(since: 99, limit: 10) == [])
        #expect(store.events(since: -7, limit: 1).map(\.id) == [1])
        #expect(store.events(since: 0, limit: 0) == [])
        #expect(store.events(since: 0, limit: -1) == [])
    }

    @Test func memoryHoldsTheNewestCapacityEventsAndTheFileKeepsAll() throws {
        let directory = TemporaryStateDirectory()
        do {
            let store = try EventStore(directory: directory.path, capacity: 3)
            for _ in 1...5 { try store.append(type: .health, actor: "sluice") }
            #expect(store.events(since: 0, limit: 10).map(\.id) == [3, 4, 5])
            #expect(store.events(since: 3, limit: 10).map(\.id) == [4, 5])
            #expect(store.latestID == 5)
        }
        #expect(try Self.lines(directory).count == 5)
        #expect(try EventStore(directory: directory.path, capacity: 3).events(since: 0, limit: 10).map(\.id) == [3, 4, 5])
        #expect(try EventStore(directory: directory.path, capacity: 10).events(since: 0, limit: 10).map(\.id) == [1, 2, 3, 4, 5])
    }

    @Test func aLongLogLoadsOnlyItsTailAcrossReadChunks() throws {
        let directory = TemporaryStateDirectory()
        // About 1.4 MB, lines of varied length, so lines straddle the 64 KiB read chunks.
        let text = (1...3_000).map { Self.line($0, reason: String(repeating: "r", count: 200 + $0 % 700)) }.joined(separator: "\n") + "\n"
        try directory.write("events.jsonl", text)
        let tail = try EventStore(directory: directory.path, capacity: 1_000)
        #expect(tail.events(since: 0, limit: .max).map(\.id) == Array(2_001...3_000))
        #expect(tail.latestID == 3_000)
        #expect(tail.skippedLineOffsets == [])
        let all = try EventStore(directory: directory.path, capacity: 5_000)
        #expect(all.events(since: 0, limit: .max).map(\.id) == Array(1...3_000))
        #expect(all.events(since: 1_234, limit: 1).first?.reason == String(repeating: "r", count: 200 + 1_235 % 700))
    }

    @Test func aFailedAppendUsesNoIdAndLeavesTheFileAsItWas() throws {
        let directory = TemporaryStateDirectory()
        let store = try EventStore(directory: directory.path)
        try store.append(type: .start, actor: "sluice")
        let before = try directory.bytes("events.jsonl")
        let error = #expect(throws: StateError.self) {
            try store.append(type: .verdict, route: "api", actor: "sluice", details: ["ratio": .number(.nan)])
        }
        #expect(error?.file == store.path)
        #expect(error?.message.hasPrefix("cannot encode the event") == true)
        #expect(try directory.bytes("events.jsonl") == before)
        #expect(store.latestID == 1)
        #expect(try store.append(type: .verdict, route: "api", actor: "sluice").id == 2)
    }

    @Test func concurrentAppendsGetDistinctIdsInFileOrder() throws {
        let directory = TemporaryStateDirectory()
        let store = try EventStore(directory: directory.path, capacity: 64)
        let ids = Mutex<[Int]>([])
        let problems = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            for round in 0..<40 {
                if worker == 2 {
                    // A reader, as the admin thread is: always a gapless run up to some id.
                    let seen = store.events(since: 0, limit: .max).map(\.id)
                    if seen != Array(seen.indices.map { $0 + (seen.first ?? 0) }) {
                        problems.withLock { $0.append("a gap: \(seen)") }
                    }
                    continue
                }
                do {
                    let event = try store.append(type: .health, actor: "worker \(worker)", details: ["round": .number(Double(round))])
                    ids.withLock { $0.append(event.id) }
                } catch {
                    problems.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(problems.withLock { $0 } == [])
        #expect(ids.withLock { $0.sorted() } == Array(1...80))
        #expect(store.latestID == 80)
        #expect(store.events(since: 0, limit: .max).map(\.id) == Array(17...80))
        let reloaded = try EventStore(directory: directory.path, capacity: 100)
        #expect(reloaded.events(since: 0, limit: .max).map(\.id) == Array(1...80))
        #expect(reloaded.skippedLineOffsets == [])
    }

    @Test func everyTypeIsWrittenAsItsSnakeCaseName() {
        #expect(EventType.allCases.map(\.rawValue) == ["start", "stop", "weights", "reload", "reload_refused", "health", "rollout",
                                                       "rollout_step", "verdict", "revert", "promote", "abort", "rollback", "pause", "resume",
                                                       "store"])
    }
}
