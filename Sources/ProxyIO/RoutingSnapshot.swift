import Synchronization
public import Traffic

/// Everything a worker needs to route requests, built once per configuration change on
/// the control side and sent to every worker. Immutable; workers copy what they mutate
/// (pickers, round-robin positions) into their own `WorkerRouting`.
public struct RoutingSnapshot: Sendable {
    /// Per route: the config and its byte forms, precomputed so requests never build them.
    /// A class: a request reads it several times, and handing out a reference costs one
    /// retain where copying the `Route` inside would cost one per field.
    public final class RouteEntry: Sendable {
        public let route: Route
        /// Indices into `backends`, by pool (`Pool.rawValue`).
        let poolBackends: [[Int]]
        let nameBytes: [UInt8]
        let stickyNameBytes: [UInt8]
        let overrideHeaderBytes: [UInt8]

        init(route: Route, poolBackends: [[Int]]) {
            self.route = route
            self.poolBackends = poolBackends
            nameBytes = Array(route.name.utf8)
            stickyNameBytes = Array((route.sticky?.name ?? "").utf8)
            overrideHeaderBytes = Array((route.override?.header ?? "").utf8)
        }
    }

    /// Distinguishes snapshots, so health reports for an older one are ignored.
    public let generation: Int
    public let table: RouteTable
    public let routes: [RouteEntry]
    /// Every distinct backend address in the configuration.
    let backends: [SocketAddress]
    /// `host:port` of each backend, for the access log.
    let backendLabels: [[UInt8]]
    /// For each `https://` backend, the host its certificate must be for; nil for plain HTTP.
    let backendTLSHosts: [String?]
    /// How each backend is checked: the health settings of the first route using it.
    let backendHealth: [HealthConfig]

    private static let generations = Atomic<Int>(0)

    public init(table: RouteTable) {
        var addresses: [BackendAddress] = []
        var health: [HealthConfig] = []
        var index: [BackendAddress: Int] = [:]
        func indexOf(_ b: BackendAddress, _ config: HealthConfig) -> Int {
            if let i = index[b] { return i }
            index[b] = addresses.count
            addresses.append(b)
            health.append(config)
            return addresses.count - 1
        }
        routes = table.routes.map { route in
            RouteEntry(
                route: route,
                poolBackends: [route.blue.backends.map { indexOf($0, route.health) },
                               route.green.backends.map { indexOf($0, route.health) }])
        }
        self.table = table
        generation = Self.generations.add(1, ordering: .relaxed).newValue
        backendHealth = health
        backends = addresses.map { SocketAddress(ip: $0.ip, port: $0.port) }
        backendLabels = addresses.map { Array($0.label.utf8) }
        backendTLSHosts = addresses.map(\.tlsHost)
    }
}
