import Control
import Dispatch
import Glibc
import ProxyIO
import Traffic

/// A running Sluice: the state dir's stores, the control plane, the workers and the admin
/// loop, started together by `sluice serve` and by `sluice demo`.
struct Instance {
    /// What `start` needs: validated flags and the loaded routes.
    struct Configuration {
        var routesDirectory: String
        var routes: RouteTable
        var listen: SocketAddress
        var listenText: String
        var workers: Int
        var settings: ServerSettings
        var admin: SocketAddress
        var adminText: String
        /// The admin listener's certificates (`--admin-cert`, `--admin-key`); nil for HTTP.
        var adminTLS: TLSContext? = nil
        var token: AdminToken?
        var stateDirectory: String
        var resetState: Bool
        /// `--confirm-reset`: `resetState` may put back route files' splits that the state
        /// dir overrides.
        var confirmReset = false
        /// The TLS listener and its certificates, with the address as given; nil without TLS.
        var tls: TLSListen? = nil
        var tlsText: String? = nil
        var certificates: TLSCertificates? = nil
        /// The fleet to join (`--store`); nil for a single instance.
        var fleet: Fleet? = nil
    }

    /// `--store`, `--store-prefix`, `--instance`, `--store-lease`, checked.
    struct Fleet {
        var store: StoreURL
        var endpoints: [SocketAddress]
        var keys: FleetKeys
        var name: String
        var leaseSeconds: Int
    }

    let control: ControlPlane
    let server: ProxyServer
    let admin: AdminLoopHandle
    let fleet: FleetLink?

    /// Opens the state dir (restoring weights and rollouts unless `resetState`), starts the
    /// workers and the admin loop, and records the start. Nil, with the reason on stderr,
    /// when any of it fails; nothing is left running then.
    static func start(_ c: Configuration) -> Instance? {
        let state: StateStore
        let events: EventStore
        do {
            state = try StateStore(directory: c.stateDirectory)
            events = try EventStore(directory: c.stateDirectory)
        } catch {
            EventLog.write(.error, "cannot use the state directory \(c.stateDirectory): \(error.message)",
                           ["state": .string(c.stateDirectory), "error": .string(error.description)])
            return nil
        }
        var saved: StateFile? = nil
        var joined: (link: FleetLink, read: EtcdRangeAnswer)? = nil
        if let fleet = c.fleet {
            // In a fleet the store holds the run-time weights: the state dir's are not read.
            guard let found = join(fleet, c) else { return nil }
            joined = found
        } else if c.resetState {
            let overrides = ((try? state.load()) ?? nil).map { StateOverride.find($0, c.routes) } ?? []
            if !overrides.isEmpty && !c.confirmReset {
                for override in overrides {
                    EventLog.write(.error, "--reset-state would change the live split: \(override)", ["route": .string(override.route)])
                }
                EventLog.write(.error, "refusing --reset-state without --confirm-reset: the route files' splits differ from the state directory's",
                               ["state": .string(c.stateDirectory), "routes": .array(overrides.map { .string($0.route) })])
                return nil
            }
            EventLog.write(.warning, "--reset-state: starting from the route files; the state file will be replaced at the next change",
                           ["state": .string(c.stateDirectory)])
        } else {
            do {
                saved = try state.load()
            } catch {
                EventLog.write(.error, "cannot read the state file; fix or remove it, or start with --reset-state to start from the route files",
                               ["error": .string(error.description)])
                return nil
            }
        }
        let control: ControlPlane
        do {
            control = try ControlPlane(routesDirectory: c.routesDirectory, routes: c.routes, token: c.token, state: state,
                                       events: events, saved: saved)
        } catch {
            EventLog.write(.error, "cannot resume from the state file; fix or remove it, or start with --reset-state to start from the route files",
                           ["error": .string(error.description)])
            return nil
        }
        control.certificates = c.certificates
        if let joined { control.join(joined.link, read: joined.read) }
        let server: ProxyServer
        do {
            server = try ProxyServer(listen: c.listen, tls: c.tls, workers: c.workers, snapshot: control.snapshot(),
                                     settings: c.settings,
                                     onHealthChange: { backend, healthy in control.healthChanged(backend: backend, healthy: healthy) })
        } catch {
            let address = error.operation.hasPrefix("TLS") ? c.tlsText ?? c.listenText : c.listenText
            EventLog.write(.error, "cannot listen on \(address): \(error.description)\(inUse(error))",
                           ["address": .string(address), "error": .string(error.description)])
            return nil
        }
        control.start(server: server)
        let admin: AdminLoopHandle
        do {
            admin = try AdminServer.start(address: c.admin, tls: c.adminTLS, handler: { request, reply in control.handle(request, reply) },
                                          everySecond: { control.everySecond() })
        } catch {
            EventLog.write(.error, "cannot listen on \(c.adminText) (--admin): \(error.description)\(inUse(error))",
                           ["address": .string(c.adminText), "error": .string(error.description)])
            server.shutdown(drainMs: 0)
            joined?.link.stop()
            return nil
        }
        if let link = joined?.link {
            control.attach { admin.perform($0) }
            link.start { change in admin.perform { control.fleetChanged(change) } }
        }
        var listening: [String: JSONValue] = [
            "pid": .number(Double(getpid())),
            "address": .string(c.listenText), "port": .number(Double(server.port)), "workers": .number(Double(c.workers)),
            "routes": .array(c.routes.routes.map { .string($0.name) }),
            "admin": .string(c.adminText), "admin_port": .number(Double(admin.port)), "admin_tls": .bool(c.adminTLS != nil), "admin_token": .bool(c.token != nil),
            "state": .string(c.stateDirectory), "restored_routes": .array((saved?.routes.keys.sorted() ?? []).map(JSONValue.string))]
        if let fleet = c.fleet {
            listening["instance"] = .string(fleet.name)
            listening["store"] = .array(fleet.store.texts.map(JSONValue.string))
            listening["store_prefix"] = .string(fleet.keys.prefix)
        }
        if let tlsText = c.tlsText, let certificates = c.certificates, let tlsPort = server.tlsPort {
            listening["tls_address"] = .string(tlsText)
            listening["tls_port"] = .number(Double(tlsPort))
            listening["certificates"] = certificates.namesJSON
        }
        EventLog.write(.info, "listening", listening)
        control.recordLifecycle(.start, details: ["workers": .number(Double(c.workers))])
        return Instance(control: control, server: server, admin: admin, fleet: joined?.link)
    }

    /// Reads the fleet's keys from the store before anything serves; nil, with the reason
    /// logged, when the store does not answer (an instance does not start on weights the
    /// fleet may have changed) or `--instance` names an instance alive in the fleet.
    private static func join(_ fleet: Fleet, _ c: Configuration) -> (link: FleetLink, read: EtcdRangeAnswer)? {
        let client = StoreClient(endpoints: fleet.endpoints)
        let details: [String: JSONValue] = ["store": .array(fleet.store.texts.map(JSONValue.string)), "instance": .string(fleet.name)]
        switch FleetLink.readAtStart(client: client, keys: fleet.keys) {
        case .failed(let reason):
            EventLog.write(.error, "refusing to start: the store cannot be read, and an instance of a fleet starts only at the fleet's weights",
                           details.merging(["error": .string(reason)]) { $1 })
            client.shutdown()
            return nil
        case .read(let read):
            if read.kvs.contains(where: { $0.key == fleet.keys.instance(fleet.name) }) {
                EventLog.write(.error, "refusing to start: an instance named \(fleet.name) is alive in the fleet; give another --instance, or wait for its lease (--store-lease) to expire if it died",
                               details)
                client.shutdown()
                return nil
            }
            let link = FleetLink(client: client, endpoints: fleet.store.texts, keys: fleet.keys, name: fleet.name, admin: c.adminText,
                                 listen: c.listenText, leaseSeconds: fleet.leaseSeconds,
                                 clock: { Int(DispatchTime.now().uptimeNanoseconds / 1_000_000) })
            return (link, read)
        }
    }

    /// The hint after a failed bind: who may hold the address.
    private static func inUse(_ error: SocketError) -> String {
        error.errno == EADDRINUSE ? " (another process holds it, perhaps another Sluice, or this one's --listen, --tls-listen or --admin)" : ""
    }

    /// Stops the admin loop, drains the workers for up to `drainMs`, records the stop and
    /// flushes the access log.
    func stop(drainMs: Int64) {
        fleet?.stop()
        admin.stop()
        server.shutdown(drainMs: drainMs)
        control.recordLifecycle(.stop)
        LogSink.stdout.flush()
    }
}
