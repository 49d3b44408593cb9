/// How one exchange ended: who ended it (source), why (cause) and the final status the client
/// was sent, if any. Made once per exchange by `Exchange` (or by the shell for a request the
/// proxy refused itself); the access log, the metrics, passive health and the rollout judge
/// all read this one value (docs/proxy.md, "Outcomes").
public struct Outcome: Equatable, Sendable {
    public enum Source: Sendable {
        case client, backend, proxy
    }

    public enum Cause: Int, CaseIterable, Sendable {
        /// The backend's response was passed on whole.
        case completed
        /// The client went away before any final response head was sent to it.
        case clientClosedBeforeHead
        /// The client went away while the response body was being sent.
        case clientClosedAfterHead
        /// No connection to a backend could be made (refused, unreachable): the proxy's 502.
        case connectFailed
        /// The connect took longer than `timeouts.connect`: the proxy's 502.
        case connectTimeout
        /// The backend closed or reset the connection before a response head: 502.
        case resetBeforeHead
        /// The backend sent a head Sluice refuses (malformed, status outside 100-599, an
        /// unasked 101, too many 1xx, faulty framing): 502.
        case invalidResponse
        /// No response head within `timeouts.firstByte`: the proxy's 504.
        case timeoutBeforeHead
        /// The backend closed or reset the connection in the middle of the body.
        case closedAfterHead
        /// The body stalled for longer than `timeouts.firstByte`.
        case timeoutAfterHead
        /// The chunked framing of the body was invalid.
        case invalidBody
        /// The backend sent more bytes than the response's framing announced.
        case excessBody
        /// The proxy refused or could not route the request (400, 404, 405, 408, 413, 414, 431, 501, 503).
        case rejected

        /// A backend failure the client saw after the response head had been sent.
        @inlinable public var isAfterHead: Bool {
            (Cause.closedAfterHead.rawValue...Cause.excessBody.rawValue).contains(rawValue)
        }

        /// The causes that are a backend's failure, in `sluice_backend_failures_total`'s order.
        public static let backendFailures: [Cause] = Array(allCases[Cause.connectFailed.rawValue...Cause.excessBody.rawValue])

        /// The text of the proxy's own error response when it answers for this cause.
        public var errorText: StaticString {
            switch self {
            case .connectFailed, .connectTimeout, .resetBeforeHead: return "backend refused or reset the connection"
            case .invalidResponse, .invalidBody: return "backend sent an invalid response"
            case .timeoutBeforeHead: return "backend did not answer in time"
            case .closedAfterHead, .excessBody: return "backend closed the connection mid-response"
            case .timeoutAfterHead: return "backend stalled mid-response"
            case .completed, .clientClosedBeforeHead, .clientClosedAfterHead, .rejected: return "request failed"
            }
        }

        /// The name in the access log's `outcome` and in `sluice_backend_failures_total`'s `cause`.
        public var label: StaticString {
            switch self {
            case .completed: return "completed"
            case .clientClosedBeforeHead: return "client_closed_before_head"
            case .clientClosedAfterHead: return "client_closed_after_head"
            case .connectFailed: return "connect_failed"
            case .connectTimeout: return "connect_timeout"
            case .resetBeforeHead: return "reset_before_head"
            case .invalidResponse: return "invalid_response"
            case .timeoutBeforeHead: return "timeout_before_head"
            case .closedAfterHead: return "closed_after_head"
            case .timeoutAfterHead: return "timeout_after_head"
            case .invalidBody: return "invalid_body"
            case .excessBody: return "excess_body"
            case .rejected: return "rejected"
            }
        }
    }

    public let source: Source
    public let cause: Cause
    /// The final status sent to the client (the backend's or the proxy's own), 0 when none was.
    public let status: Int

    @inlinable
    public init(_ source: Source, _ cause: Cause, status: Int) {
        self.source = source
        self.cause = cause
        self.status = status
    }

    /// The status the access log shows: the one sent, or 499 when the client went away first.
    @inlinable public var logStatus: Int { status == 0 ? 499 : status }

    /// The status `sluice_requests_total` counts the exchange under: a failure after the head
    /// counts as the 502 it would have been had it happened before.
    @inlinable public var countedStatus: Int { cause.isAfterHead && status < 500 ? 502 : logStatus }

    /// Whether the exchange is a failure of the pool that served it, for the judge: a 5xx sent
    /// (the backend's or the proxy's 502/503/504) or a failure after the head.
    @inlinable public var isFailure: Bool { countedStatus >= 500 }

    /// Whether the judge compares this exchange: not when the client gave up (and forced
    /// override traffic is kept out by the caller).
    @inlinable public var isJudged: Bool { source != .client }

    /// A backend's failure (before or after the head), counted in `sluice_backend_failures_total`.
    @inlinable public var isBackendFailure: Bool { source == .backend && cause != .completed }
}
