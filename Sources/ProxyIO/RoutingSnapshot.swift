public import Traffic

/// Everything a worker needs to route requests, built once per configuration change on
/// the control side and sent to every worker. Immutable; workers copy what they mutate
/// (pickers, round-robin positions) into their own `WorkerRouting`.
public struct RoutingSnapshot: Sendable {
    /// Per route: the config and its byte forms, precomputed so requests never build them.
    public struct RouteEntry: Sendable {
        public let route: Route
        /// Indices into `backends`, by pool (`Pool.rawValue`).
        let poolBackends: [[Int]]
        let nameBytes: [UInt8]
        let stickyNameBytes: [UInt8]
        let overrideHeaderBytes: [UInt8]
    }

    public let table: RouteTable
    public let routes: [RouteEntry]
    /// Every distinct backend address in the configuration.
    let backends: [SocketAddress]
    /// `host:port` of each backend, for the access log.
    let backendLabels: [[UInt8]]

    public init(table: RouteTable) {
        var addresses: [BackendAddress] = []
        var index: [BackendAddress: Int] = [:]
        func indexOf(_ b: BackendAddress) -> Int {
            if let i = index[b] { return i }
            index[b] = addresses.count
            addresses.append(b)
            return addresses.count - 1
        }
        routes = table.routes.map { route in
            RouteEntry(
                route: route,
                poolBackends: [route.blue.backends.map(indexOf), route.green.backends.map(indexOf)],
                nameBytes: Array(route.name.utf8),
                stickyNameBytes: Array((route.sticky?.name ?? "").utf8),
                overrideHeaderBytes: Array((route.override?.header ?? "").utf8))
        }
        self.table = table
        backends = addresses.map { SocketAddress(ip: $0.ip, port: $0.port) }
        backendLabels = addresses.map { Array($0.label.utf8) }
    }
}
