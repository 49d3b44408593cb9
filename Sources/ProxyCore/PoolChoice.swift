public import HTTP1
public import Traffic

/// How a request's pool is chosen (docs/routes.md, docs/proxy.md): the override header from an allowed address
/// forces one; else, with `sticky`, the user's key decides through its hash bucket; else the
/// weighted picker. Decided once per request from its head; the shell carries out the parts
/// that need worker state (the picker, a new random key).
public enum PoolChoice: Equatable, Sendable {
    /// The override header named this pool (forced traffic is kept out of the judge).
    case forced(Pool)
    /// The sticky key's hash bucket (`StickyHash.pool(bucket:green:)` gives the pool).
    case sticky(bucket: Int)
    /// A sticky cookie route and no cookie: the shell makes a new key, sets it, and hashes it.
    case newStickyKey
    /// The worker's weighted picker.
    case byWeight

    /// Runs once per routed request. `overrideName` and `stickyName` are the route's header
    /// and cookie/header names as bytes; `peerText` the client address as text.
    @inlinable
    public static func of(_ head: borrowing MessageHead, _ buf: UnsafeRawBufferPointer, route: Route, overrideName: [UInt8],
                          stickyName: [UInt8], peer: IPAddress, peerText: borrowing PeerText) -> PoolChoice {
        if let override = route.override, let value = head.value(buf, named: overrideName),
           let pool = Pool(name: UnsafeRawBufferPointer(rebasing: buf[value])),
           override.allowFrom.contains(where: { $0.contains(peer) }) {
            return .forced(pool)
        }
        guard let sticky = route.sticky else { return .byWeight }
        switch sticky.by {
        case .cookie:
            guard let value = head.cookie(buf, named: stickyName) else { return .newStickyKey }
            return .sticky(bucket: StickyHash.bucket(UnsafeRawBufferPointer(rebasing: buf[value])))
        case .header:
            guard let value = head.value(buf, named: stickyName), !value.isEmpty else { return .byWeight }
            return .sticky(bucket: StickyHash.bucket(UnsafeRawBufferPointer(rebasing: buf[value])))
        case .clientIP:
            return .sticky(bucket: peerText.withBytes { StickyHash.bucket($0) })
        }
    }
}
