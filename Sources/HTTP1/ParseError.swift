/// Why a message head or body was refused. Each maps to the status the proxy answers with;
/// every one of them closes the connection.
public enum ParseError: Error, Equatable, Sendable {
    /// Malformed syntax or a smuggling shape (RFC 9112): 400.
    case badRequest(Reason)
    /// Request line longer than the limit: 414.
    case uriTooLong
    /// Header section (or header count) over the limit: 431.
    case headersTooLarge
    /// CONNECT or TRACE, which Sluice never forwards: 405.
    case methodNotAllowed
    /// A method Sluice does not know (`RequestMethod`): 501.
    case methodNotImplemented

    public enum Reason: String, Sendable {
        case bareCR = "bare CR"
        case bareLF = "bare LF"
        case badRequestLine = "malformed request line"
        case badVersion = "unsupported HTTP version"
        case badTarget = "invalid request target"
        case dotSegment = "dot-segment or backslash in the path"
        case hostMismatch = "Host differs from the absolute-form target's authority"
        case badMethod = "invalid method"
        case badHeaderName = "invalid header name"
        case spaceBeforeColon = "whitespace before colon"
        case badHeaderValue = "invalid header value"
        case obsFold = "obsolete line folding"
        case contentLengthAndTransferEncoding = "both Content-Length and Transfer-Encoding"
        case conflictingContentLength = "conflicting Content-Length"
        case badContentLength = "invalid Content-Length"
        case unsupportedTransferEncoding = "Transfer-Encoding other than chunked"
        case missingHost = "missing Host"
        case duplicateHost = "duplicate Host"
        case badHost = "invalid Host"
        case badChunk = "invalid chunked encoding"
        case badStatusLine = "malformed status line"
    }

    /// The status the proxy answers a client with for this error.
    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .uriTooLong: return 414
        case .headersTooLarge: return 431
        case .methodNotAllowed: return 405
        case .methodNotImplemented: return 501
        }
    }

    /// A short text for logs and error bodies.
    public var reasonText: StaticString {
        switch self {
        case .badRequest: return "bad request"
        case .uriTooLong: return "request line too long"
        case .headersTooLarge: return "header section too large"
        case .methodNotAllowed: return "method not allowed"
        case .methodNotImplemented: return "method not implemented"
        }
    }
}
