/// The backends of one pool of a route.
public struct PoolConfig: Hashable, Sendable {
    /// The pool's servers, in route-file order; never empty in a loaded route.
    public var backends: [BackendAddress]

    public init(backends: [BackendAddress]) {
        self.backends = backends
    }
}
