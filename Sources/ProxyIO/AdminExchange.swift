/// The `Server` field of every admin answer: how `sluice ctl` knows it reached the admin
/// API and not, say, the proxy's port.
public let adminServerName = "sluice-admin"

/// One request to the admin API, decoded from the wire on the admin loop.
public struct AdminRequest: Sendable {
    public let method: String
    /// The path without the query string.
    public let path: String
    public let query: [String: String]
    /// Header fields by lowercased name (the last one wins).
    public let headers: [String: String]
    public let body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// The answer to an admin request.
public struct AdminResponse: Sendable {
    public var status: Int
    public var contentType: String
    /// Header fields besides Content-Type, Content-Length and Connection.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, contentType: String = "application/json", headers: [(name: String, value: String)] = [],
                body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

/// Sends the response to one admin request; callable once, from any thread (for
/// answers that wait on the workers, such as a weight change).
public struct AdminReply: Sendable {
    private let deliver: @Sendable (AdminResponse) -> Void

    /// `deliver` takes the answer to where the client waits (the admin loop's mailbox; a
    /// test's collector).
    public init(_ deliver: @escaping @Sendable (AdminResponse) -> Void) { self.deliver = deliver }

    public func send(_ response: AdminResponse) { deliver(response) }
}

/// Messages into the admin loop.
public enum AdminMessage: Sendable {
    case reply(connection: Int, response: AdminResponse)
    /// Run this on the admin loop (control-side work that must not race the handler).
    case perform(@Sendable () -> Void)
    case shutdown
}

/// Handles an admin request on the admin loop; must call `reply.send` exactly once, now
/// or later.
public typealias AdminHandler = @Sendable (AdminRequest, AdminReply) -> Void
