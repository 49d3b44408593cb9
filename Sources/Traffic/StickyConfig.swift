/// Sticky routing: the pool is chosen by a hash of the user's key instead of per request,
/// so a user stays on one pool (see `StickyHash`).
public struct StickyConfig: Hashable, Sendable {
    /// Where the user's key comes from; the raw value is the route file's `by`.
    public enum Source: String, Hashable, Sendable {
        /// A cookie Sluice sets to a random value on the first visit.
        case cookie
        /// A request header set by the client or an upstream gateway.
        case header
        /// The client's IP address.
        case clientIP = "ip"
    }

    /// The cookie name used when a route file gives none.
    public static let defaultCookieName = "sluice_id"

    public var by: Source
    /// The cookie or header name; unused for `.clientIP`.
    public var name: String

    public init(by: Source, name: String = StickyConfig.defaultCookieName) {
        self.by = by
        self.name = name
    }
}
