/// The loaded route set, and the per-request lookup of the route for a request.
public struct RouteTable: Sendable {
    /// The routes in load order; `match` returns indexes into this array.
    public let routes: [Route]
    /// The routes' match rules, most specific first: see `init`.
    private let candidates: [Candidate]

    private struct Candidate: Sendable {
        let host: HostPattern?
        let pathPrefix: [UInt8]
        let index: Int
    }

    /// Takes routes as loaded (the loader has checked names and match rules are unique) and
    /// orders their match rules once: exact hosts, then wildcard hosts (longest suffix first),
    /// then routes without a host; within each, longest path prefix first; then load order.
    public init(routes: [Route]) {
        self.routes = routes
        func hostRank(_ host: HostPattern?) -> (Int, Int) {
            switch host {
            case .exact?: (0, 0)
            case .suffix(let suffix)?: (1, -suffix.count)
            case nil: (2, 0)
            }
        }
        candidates = routes.enumerated()
            .map { Candidate(host: $1.host, pathPrefix: $1.pathPrefix, index: $0) }
            .sorted { a, b in
                let (rankA, rankB) = (hostRank(a.host), hostRank(b.host))
                if rankA != rankB { return rankA < rankB }
                if a.pathPrefix.count != b.pathPrefix.count { return a.pathPrefix.count > b.pathPrefix.count }
                return a.index < b.index
            }
    }

    /// Finds the route for one request; runs per request, does not allocate.
    /// `host` is the raw `Host` header value (any case, maybe with `:port`, maybe an `[v6]:port`
    /// literal, with or without a trailing dot), nil when absent; `path` is the raw origin-form
    /// target, query included. A route with a matching host pattern wins over one without
    /// `match.host`, an exact host over a wildcard, then the longest matching path prefix.
    /// Returns the index into `routes`, or nil when no route matches.
    public func match(host: UnsafeRawBufferPointer?, path: UnsafeRawBufferPointer) -> Int? {
        let name = host.map(RouteTable.hostName(fromHeader:)) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        for candidate in candidates {
            if let pattern = candidate.host, !pattern.matches(name) {
                continue
            }
            if candidate.pathPrefix.withUnsafeBytes({ ASCII.hasPrefix(path, $0) }) {
                return candidate.index
            }
        }
        return nil
    }

    /// The host name in a `Host` header value: without the port, and without one trailing dot
    /// (`Example.COM.:8080` → `Example.COM`, `[::1]:8080` → `[::1]`).
    private static func hostName(fromHeader value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var end = value.count
        if value.first == UInt8(ascii: "[") {
            end = (value.firstIndex(of: UInt8(ascii: "]")) ?? value.count - 1) + 1
        } else if let colon = value.firstIndex(of: UInt8(ascii: ":")) {
            end = colon
        }
        if end > 0, value[end - 1] == UInt8(ascii: ".") {
            end -= 1
        }
        return UnsafeRawBufferPointer(rebasing: value[0..<end])
    }
}
