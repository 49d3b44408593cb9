import Control
import Foundation
import ProxyIO
import Synchronization
import Testing
import Traffic

/// The control plane without a running ProxyServer: requests go straight to `handle`, the
/// workers are a `DataPlane` that records what it is given.
struct ControlPlaneTests {
    /// Records the snapshots installed; applies them at once.
    final class RecordingDataPlane: DataPlane, @unchecked Sendable {
        let installed = Mutex<[RoutingSnapshot]>([])
        func workerStats() -> [WorkerStats] { [] }
        func install(_ snapshot: RoutingSnapshot, applied: @escaping @Sendable () -> Void) {
            installed.withLock { $0.append(snapshot) }
            applied()
        }
        func install(certificates context: TLSContext) {}
        let reloads = Mutex(0)
        func reloaded() { reloads.withLock { $0 += 1 } }
    }

    static let route = """
        {"name": "app", "pools": {"blue": {"backends": ["127.0.0.1:1"]}, "green": {"backends": ["127.0.0.1:2"]}},
         "stable": "blue", "weights": {"green": 0}}
        """

    /// A control plane on `routes` and a new state dir, with the token `secret`.
    static func plane(_ routes: borrowing RouteDirectory, _ state: borrowing TemporaryStateDirectory) throws -> (ControlPlane, RecordingDataPlane) {
        guard case .success(let table) = routes.load() else { throw CocoaError(.fileReadCorruptFile) }
        let plane = try ControlPlane(routesDirectory: routes.path, routes: table, token: AdminToken(secret: "secret"),
                                     state: StateStore(directory: state.path), events: EventStore(directory: state.path),
                                     saved: nil, clock: { 0 })
        let workers = RecordingDataPlane()
        plane.start(server: workers)
        return (plane, workers)
    }

    /// Sends one request and returns the answer (`handle` answers at once here: the data
    /// plane applies installs synchronously).
    static func ask(_ plane: ControlPlane, _ method: String, _ path: String, body: String = "",
                    authorization: String? = "Bearer secret") -> AdminResponse {
        let answer = Mutex<AdminResponse?>(nil)
        let headers = authorization.map { ["authorization": $0] } ?? [:]
        let parts = path.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        for pair in parts.dropFirst().first?.split(separator: "&") ?? [] {
            let kv = pair.split(separator: "=", maxSplits: 1)
            query[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        plane.handle(AdminRequest(method: method, path: String(parts[0]), query: query, headers: headers, body: Array(body.utf8)),
                     AdminReply { response in answer.withLock { $0 = response } })
        return answer.withLock { $0 }!
    }

    static func json(_ response: AdminResponse) -> JSONValue? { try? JSONValue(parsing: response.body) }

    @Test func aKnownPathWithTheWrongMethodGets405WithAllow() throws {
        let routes = try RouteDirectory(["app.json": Self.route])
        let state = TemporaryStateDirectory()
        let (plane, _) = try Self.plane(routes, state)
        for (method, path, allow) in [("GET", "/routes/app/weights", "PUT"), ("DELETE", "/routes/app", "GET"),
                                      ("GET", "/reload", "POST"), ("DELETE", "/routes/app/rollout", "GET, POST"),
                                      ("POST", "/health/ready", "GET")] {
            let answer = Self.ask(plane, method, path)
            #expect(answer.status == 405, "\(method) \(path)")
            #expect(answer.headers.first { $0.0 == "Allow" }?.1 == allow, "\(method) \(path)")
            #expect(Self.json(answer)?["error"] != nil && Self.json(answer)?["detail"] != nil)
        }
        #expect(Self.ask(plane, "GET", "/routes/app/nothing").status == 404)
        #expect(Self.ask(plane, "POST", "/routes/app/rollout/sideways").status == 404)
        #expect(Self.ask(plane, "GET", "/health/ready", authorization: nil).status == 200)
    }

    @Test func theTokenIsCheckedFirstAndTheSchemeInAnyCase() throws {
        let routes = try RouteDirectory(["app.json": Self.route])
        let state = TemporaryStateDirectory()
        let (plane, _) = try Self.plane(routes, state)
        let refused = Self.ask(plane, "GET", "/routes/app/weights", authorization: nil)
        #expect(refused.status == 401)
        #expect(refused.headers.first { $0.0 == "WWW-Authenticate" }?.1.hasPrefix("Bearer") == true)
        #expect(Self.ask(plane, "GET", "/routes", authorization: "bearer secret").status == 200)
        #expect(Self.ask(plane, "GET", "/routes", authorization: "BEARER  secret").status == 200)
        #expect(Self.ask(plane, "GET", "/routes", authorization: "Bearer secre").status == 401)
        #expect(Self.ask(plane, "GET", "/routes", authorization: "Basic secret").status == 401)
    }

    @Test func aWeightChangeIsSavedThenInstalledInEveryWorker() throws {
        let routes = try RouteDirectory(["app.json": Self.route])
        let state = TemporaryStateDirectory()
        let (plane, workers) = try Self.plane(routes, state)
        let answer = Self.ask(plane, "PUT", "/routes/app/weights", body: #"{"blue": 75, "reason": "test"}"#)
        #expect(answer.status == 200)
        #expect(Self.json(answer)?["weights"] == ["blue": 75, "green": 25])
        #expect(workers.installed.withLock { $0.count } == 1)
        #expect(try StateStore.savedGreenWeight(state.path, "app") == 2_500)
    }

    @Test func aReloadInstallsTheRoutesThenTellsTheWorkersAndARefusedOneDoesNot() throws {
        let routes = try RouteDirectory(["app.json": Self.route])
        let state = TemporaryStateDirectory()
        let (plane, workers) = try Self.plane(routes, state)
        #expect(Self.ask(plane, "POST", "/reload").status == 200)
        #expect(workers.installed.withLock { $0.count } == 1)
        #expect(workers.reloads.withLock { $0 } == 1)
        try "{".write(toFile: routes.path + "/app.json", atomically: true, encoding: .utf8)
        #expect(Self.ask(plane, "POST", "/reload").status == 422)
        #expect(workers.reloads.withLock { $0 } == 1)
    }

    @Test func aFailedSaveChangesNothingButADecision() throws {
        let routes = try RouteDirectory(["app.json": Self.route])
        let state = TemporaryStateDirectory()
        let (plane, workers) = try Self.plane(routes, state)
        #expect(Self.ask(plane, "POST", "/routes/app/rollout", body: #"{"plan": [10, 100], "holds": "1h"}"#).status == 200)
        let installs = workers.installed.withLock { $0.count }
        // The state dir goes away under the running plane: every save now fails.
        try FileManager.default.moveItem(atPath: state.path, toPath: state.path + ".gone")
        defer { try? FileManager.default.removeItem(atPath: state.path + ".gone") }
        let weights = Self.ask(plane, "PUT", "/routes/app/weights", body: #"{"green": 50, "force": true}"#)
        #expect(weights.status == 500)
        let pause = Self.ask(plane, "POST", "/routes/app/rollout/pause")
        #expect(pause.status == 500)
        let rollout = Self.json(Self.ask(plane, "GET", "/routes/app/rollout"))
        #expect(rollout?["state"] == "running" && rollout?["weight"] == 10)
        #expect(Self.json(Self.ask(plane, "GET", "/routes/app"))?["weights"] == ["blue": 90, "green": 10])
        #expect(workers.installed.withLock { $0.count } == installs)
        // A decision (abort) takes effect with its save pending, and says so.
        let abort = Self.ask(plane, "POST", "/routes/app/rollout/abort")
        #expect(abort.status == 200)
        let aborted = Self.json(abort)
        #expect(aborted?["state"] == "aborted" && aborted?["stateSaved"] == false)
        #expect(Self.json(Self.ask(plane, "GET", "/routes/app"))?["weights"] == ["blue": 100, "green": 0])
        #expect(workers.installed.withLock { $0.count } == installs + 1)
    }

    @Test func eventsArePagedByNext() throws {
        let routes = try RouteDirectory(["app.json": Self.route])
        let state = TemporaryStateDirectory()
        let (plane, _) = try Self.plane(routes, state)
        for green in 1...5 { _ = Self.ask(plane, "PUT", "/routes/app/weights", body: #"{"green": \#(green)}"#) }
        var ids: [Double] = []
        var since = 0.0
        var more = true
        while more {
            let page = Self.json(Self.ask(plane, "GET", "/events?since=\(Int(since))&limit=2"))
            ids += page?["events"]?.arrayValue?.compactMap { $0["id"]?.numberValue } ?? []
            since = page?["next"]?.numberValue ?? -1
            more = page?["more"]?.boolValue ?? false
            #expect(page?["latest"] == 5)
        }
        #expect(ids == [1, 2, 3, 4, 5])
    }
}

extension StateStore {
    /// The green weight saved for `route` in the state dir at `directory`, read as a new
    /// process would (through the file, not this store).
    static func savedGreenWeight(_ directory: String, _ route: String) throws -> Double? {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/state.json"))) as? [String: Any]
        return ((object?["routes"] as? [String: Any])?[route] as? [String: Any])?["greenWeight"] as? Double
    }
}
