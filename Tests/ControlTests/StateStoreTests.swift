import Foundation
import Glibc
import Synchronization
import Testing
import Control
import Traffic

struct StateStoreTests {
    static let api = RouteState(greenWeight: Weight(basisPoints: 1_025)!, stable: .blue,
                                rollout: ["state": "running", "step": 1, "steps": [10, 50, 100], "heldMs": 12_500,
                                          "evidence": ["blue": ["requests": 4_000, "errors": 3], "green": ["p95": 0.0425]],
                                          "reason": nil, "extended": true],
                                updatedAt: "2025-05-01T10:00:00.123Z", updatedBy: "ci")
    static let web = RouteState(greenWeight: .full, stable: .green, updatedAt: "2025-05-01T11:00:00.000Z", updatedBy: "reload")

    @Test func createsTheDirectoryPrivateAndLoadsNothingAtFirst() throws {
        let directory = TemporaryStateDirectory()
        let store = try StateStore(directory: directory.path + "/nested/state")
        #expect(try store.load() == nil)
        var info = stat()
        #expect(stat(directory.path + "/nested/state", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(store.path == directory.path + "/nested/state/state.json")
    }

    @Test func savedStateLoadsBackEqualInANewStore() throws {
        let directory = TemporaryStateDirectory()
        let saved = StateFile(routes: ["api": Self.api, "web": Self.web])
        try StateStore(directory: directory.path).save(saved)
        let loaded = try StateStore(directory: directory.path).load()
        #expect(loaded == saved)
        #expect(loaded?.version == 1)
        #expect(try directory.names() == ["lock", "state.json"])
        #expect(try directory.permissions("state.json") == 0o600)
    }

    @Test func theFileIsPlainJSONWithBasisPointsAndPoolNames() throws {
        let directory = TemporaryStateDirectory()
        try StateStore(directory: directory.path).save(StateFile(routes: ["web": Self.web]))
        let object = try JSONSerialization.jsonObject(with: Data(directory.bytes("state.json"))) as? [String: Any]
        let web = (object?["routes"] as? [String: Any])?["web"] as? [String: Any]
        #expect(object?["version"] as? Int == 1)
        #expect(web?["greenWeight"] as? Int == 10_000)
        #expect(web?["stable"] as? String == "green")
        #expect(web?["updatedBy"] as? String == "reload")
        #expect(web?.keys.contains("rollout") == false)
    }

    @Test func aNewSaveReplacesTheOldState() throws {
        let directory = TemporaryStateDirectory()
        let store = try StateStore(directory: directory.path)
        try store.save(StateFile(routes: ["api": Self.api, "web": Self.web]))
        try store.save(StateFile(routes: ["web": Self.web]))
        #expect(try store.load() == StateFile(routes: ["web": Self.web]))
    }

    static let brokenFiles: [(name: String, content: String, message: String)] = [
        ("empty", "", "the state file is empty"),
        ("truncated", #"{"routes": {"api": {"greenWeight": 1000, "stable": "bl"#, "not valid JSON (truncated or corrupt)"),
        ("not JSON", "stable=blue\n", "not valid JSON"),
        ("newer version", #"{"version": 2, "routes": {}}"#, "version: unsupported version 2 (this Sluice reads version 1)"),
        ("no version", #"{"routes": {}}"#, "version: missing"),
        ("not an object", "[1, 2]", "the state file is not a JSON object"),
        ("weight out of range", #"{"version": 1, "routes": {"api": {"greenWeight": 12000, "stable": "blue", "updatedAt": "t", "updatedBy": "ci"}}}"#,
         "routes.api.greenWeight: 12000 is not a weight in basis points (0...10000)"),
        ("weight as text", #"{"version": 1, "routes": {"api": {"greenWeight": "10", "stable": "blue", "updatedAt": "t", "updatedBy": "ci"}}}"#,
         "routes.api.greenWeight: Expected to decode Int"),
        ("unknown pool", #"{"version": 1, "routes": {"api": {"greenWeight": 0, "stable": "purple", "updatedAt": "t", "updatedBy": "ci"}}}"#,
         #"routes.api.stable: "purple" is not a pool (blue or green)"#),
        ("missing field", #"{"version": 1, "routes": {"7": {"greenWeight": 0, "stable": "blue", "updatedAt": "t"}}}"#,
         "routes.7.updatedBy: missing"),
    ]

    @Test(arguments: brokenFiles)
    func aBrokenFileIsAnErrorNamingTheFileAndWhatIsWrong(_ broken: (name: String, content: String, message: String)) throws {
        let directory = TemporaryStateDirectory()
        try directory.write("state.json", broken.content)
        let store = try StateStore(directory: directory.path)
        let error = #expect(throws: StateError.self) { try store.load() }
        #expect(error?.file == store.path)
        #expect(error?.description.hasPrefix(store.path + ": ") == true)
        #expect(error?.message.contains(broken.message) == true, "\(error?.message ?? "no error")")
    }

    @Test func aTruncatedCopyOfARealSaveIsAnError() throws {
        let directory = TemporaryStateDirectory()
        let store = try StateStore(directory: directory.path)
        try store.save(StateFile(routes: ["api": Self.api]))
        let bytes = try directory.bytes("state.json")
        for length in [1, bytes.count / 3, bytes.count / 2, bytes.count - 3] {
            try directory.write("state.json", Array(bytes[..<length]))
            let error = #expect(throws: StateError.self) { try store.load() }
            #expect(error?.description == "\(store.path): the state file is not valid JSON (truncated or corrupt)")
        }
    }

    @Test func anUnreadableFileIsAnError() throws {
        let directory = TemporaryStateDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("state.json"), withIntermediateDirectories: true)
        let store = try StateStore(directory: directory.path)
        let error = #expect(throws: StateError.self) { try store.load() }
        #expect(error?.file == store.path)
        #expect(error?.message == "cannot read: Is a directory")
    }

    @Test func temporaryFilesOfACrashedSaveAreIgnoredThenRemoved() throws {
        let directory = TemporaryStateDirectory()
        try StateStore(directory: directory.path).save(StateFile(routes: ["api": Self.api]))
        let complete = try directory.bytes("state.json")
        // A crash during the write, and one between the fsync and the rename.
        try directory.write(".state.json.4242-1.tmp", Array(complete[..<20]))
        try directory.write(".state.json.4242-2.tmp", Array(#"{"version": 1, "routes": {}}"#.utf8))
        let store = try StateStore(directory: directory.path)
        #expect(try directory.names() == ["lock", "state.json"])
        #expect(try store.load() == StateFile(routes: ["api": Self.api]))
        try store.save(StateFile(routes: ["web": Self.web]))
        #expect(try store.load() == StateFile(routes: ["web": Self.web]))
        #expect(try directory.names() == ["lock", "state.json"])
    }

    @Test func aSaveNeverWritesIntoAFileThatIsAlreadyThere() throws {
        let directory = TemporaryStateDirectory()
        let store = try StateStore(directory: directory.path)
        // Left after the store started, under the very name its first save would pick
        // (a previous run with the same pid, as PID 1 in a container).
        let stale = ".state.json.\(getpid())-1.tmp"
        try directory.write(stale, "{\"version\": 1, \"rou")
        try store.save(StateFile(routes: ["api": Self.api]))
        #expect(try store.load() == StateFile(routes: ["api": Self.api]))
        #expect(try directory.bytes(stale) == Array("{\"version\": 1, \"rou".utf8))
        #expect(try directory.names() == [stale, "lock", "state.json"])
    }

    @Test func aFailedSaveLeavesNoTemporaryFileAndNamesTheFile() throws {
        let directory = TemporaryStateDirectory()
        let store = try StateStore(directory: directory.path)
        // A non-empty directory where state.json should be: the rename fails.
        try directory.write("state.json/keep", "x")
        let error = #expect(throws: StateError.self) { try store.save(StateFile(routes: ["api": Self.api])) }
        #expect(error?.file == store.path)
        #expect(error?.message.hasPrefix("cannot rename \(directory.path)/.state.json.") == true, "\(error?.message ?? "")")
        #expect(try directory.names() == ["lock", "state.json"])
    }

    @Test func aSaveIntoAVanishedDirectoryIsAnError() throws {
        let directory = TemporaryStateDirectory()
        let store = try StateStore(directory: directory.path)
        try FileManager.default.removeItem(atPath: directory.path)
        let error = #expect(throws: StateError.self) { try store.save(StateFile()) }
        #expect(error?.message.hasPrefix("cannot create: No such file or directory") == true, "\(error?.message ?? "")")
    }

    @Test func concurrentSavesAndLoadsOnlyEverSeeACompleteState() throws {
        let directory = TemporaryStateDirectory()
        let store = try StateStore(directory: directory.path)
        let states = (0..<2).map { thread in
            (0..<40).map { round in
                StateFile(routes: ["api": RouteState(greenWeight: Weight(basisPoints: thread * 5_000 + round)!, stable: .blue,
                                                     rollout: ["round": .number(Double(round)), "pad": .string(String(repeating: "x", count: 2_000 * thread))],
                                                     updatedAt: "t", updatedBy: "thread \(thread)")])
            }
        }
        try store.save(states[0][0])
        let problems = Mutex<[String]>([])
        let saving = Atomic<Int>(2)
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            do {
                if worker < 2 {
                    defer { saving.subtract(1, ordering: .sequentiallyConsistent) }
                    for state in states[worker] { try store.save(state) }
                } else {
                    var loads = 0
                    while saving.load(ordering: .sequentiallyConsistent) > 0 || loads == 0 {
                        let loaded = try store.load()
                        if !states.joined().contains(where: { $0 == loaded }) {
                            problems.withLock { $0.append("an unknown state: \(String(describing: loaded))") }
                        }
                        loads += 1
                    }
                }
            } catch {
                problems.withLock { $0.append("\(error)") }
            }
        }
        #expect(problems.withLock { $0 } == [])
        let last = try store.load()
        #expect(last == states[0].last || last == states[1].last)
        #expect(try directory.names() == ["lock", "state.json"])
    }

    @Test func aSecondStoreOnTheDirectoryIsRefusedWhileTheFirstLives() throws {
        let directory = TemporaryStateDirectory()
        try withExtendedLifetime(try StateStore(directory: directory.path)) {
            let error = #expect(throws: StateError.self) { try StateStore(directory: directory.path) }
            #expect(error?.file == directory.path)
            #expect(error?.message.contains("another Sluice is using this state directory (pid \(getpid()))") == true)
        }
        _ = try StateStore(directory: directory.path)  // the lock went with the first store
    }
}
