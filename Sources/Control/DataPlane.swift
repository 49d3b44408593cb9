public import ProxyIO

/// What the control side needs of the workers: their figures, and installing a new routing
/// snapshot or TLS certificates in every one. `ProxyServer` in a running Sluice; a stand-in
/// in the control plane's unit tests.
public protocol DataPlane: AnyObject {
    /// Every worker's latest published figures.
    func workerStats() -> [WorkerStats]
    /// Makes every worker route new requests with `snapshot`; `applied` runs once all do.
    func install(_ snapshot: RoutingSnapshot, applied: @escaping @Sendable () -> Void)
    /// Gives every worker's TLS listener new certificates.
    func install(certificates context: TLSContext)
    /// Tells every worker that a reload was installed (HTTP/2 connections send GOAWAY).
    func reloaded()
}

extension ProxyServer: DataPlane {
    public func workerStats() -> [WorkerStats] { stats.read() }
}
