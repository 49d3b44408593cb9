/// How a message body is delimited (RFC 9112 6.3), as decided from its head.
public enum BodyFraming: Equatable, Sendable {
    /// No body: the message ends with its head.
    case none
    /// Exactly this many bytes (more than zero).
    case length(Int)
    /// Chunked transfer coding, up to the last chunk and the trailer section.
    case chunked
    /// Everything until the sender closes the connection (a response without framing).
    case untilClose
}

extension RequestHead {
    /// The request body's framing: chunked, a positive Content-Length, or none (a request is
    /// never delimited by close).
    @inlinable
    public var bodyFraming: BodyFraming {
        if head.chunked { return .chunked }
        if let n = head.contentLength, n > 0 { return .length(n) }
        return .none
    }
}

extension ResponseHead {
    /// The final response body's framing (RFC 9112 6.3): none for 1xx, 204, 304 and any
    /// response to HEAD; else chunked, Content-Length, or until the backend closes.
    @inlinable
    public func bodyFraming(requestWasHead: Bool) -> BodyFraming {
        guard hasBody(requestWasHead: requestWasHead) else { return .none }
        if head.chunked { return .chunked }
        if let n = head.contentLength { return n > 0 ? .length(n) : .none }
        return .untilClose
    }
}
