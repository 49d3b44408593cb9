public import ProxyIO

/// The admin API's request routing, apart from the state it changes: a table of method and
/// path pattern to handler. A path that some entry matches with another method is a known
/// path with the wrong method (405 and `Allow`, docs/admin-api.md); one no entry matches is
/// unknown (404). Pure: matching reads nothing but the table and the request.
public struct AdminRouter<Context>: Sendable {
    /// What an endpoint's handler gets: the request and the values of the pattern's
    /// `{name}` segments.
    public struct Call: Sendable {
        public let request: AdminRequest
        public let parameters: [String: String]
    }

    public typealias Handler = @Sendable (Context, Call, AdminReply) -> Void

    /// One endpoint: `GET /routes/{name}`, open (no token) or not.
    public struct Endpoint: Sendable {
        let method: String
        let pattern: [Substring]
        let open: Bool
        let handler: Handler

        /// `pattern` is a path whose `{x}` segments match any one segment (`/routes/{name}`).
        public init(_ method: String, _ pattern: String, open: Bool = false, _ handler: @escaping Handler) {
            self.method = method
            self.pattern = pattern.split(separator: "/")
            self.open = open
            self.handler = handler
        }

        /// The parameters when `segments` fit the pattern, else nil.
        func parameters(_ segments: [Substring]) -> [String: String]? {
            guard segments.count == pattern.count else { return nil }
            var parameters: [String: String] = [:]
            for (part, segment) in zip(pattern, segments) {
                if part.first == "{" && part.last == "}" {
                    parameters[String(part.dropFirst().dropLast())] = String(segment)
                } else if part != segment {
                    return nil
                }
            }
            return parameters
        }
    }

    /// What a request is, by the table.
    public enum Match {
        /// An endpoint and its parameters.
        case found(Endpoint, Call)
        /// A known path with another method: the methods it takes, for `Allow`; `open` when
        /// every one of them is open.
        case wrongMethod(allowed: [String], open: Bool)
        case unknown

        /// Whether the request may go on without a token.
        public var isOpen: Bool {
            switch self {
            case .found(let endpoint, _): endpoint.open
            case .wrongMethod(_, let open): open
            case .unknown: false
            }
        }
    }

    let endpoints: [Endpoint]

    public init(_ endpoints: [Endpoint]) { self.endpoints = endpoints }

    /// Finds the endpoint for `request` (path segments split at `/`, empty ones ignored).
    public func match(_ request: AdminRequest) -> Match {
        let segments = request.path.split(separator: "/")
        var allowed: [String] = []
        var open = true
        for endpoint in endpoints {
            guard let parameters = endpoint.parameters(segments) else { continue }
            if endpoint.method == request.method { return .found(endpoint, Call(request: request, parameters: parameters)) }
            if !allowed.contains(endpoint.method) { allowed.append(endpoint.method) }
            open = open && endpoint.open
        }
        return allowed.isEmpty ? .unknown : .wrongMethod(allowed: allowed, open: open)
    }
}
