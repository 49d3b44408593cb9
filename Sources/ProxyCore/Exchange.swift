public import Traffic

/// One request's way through a backend, from its routed head to its `Outcome`: which try is
/// under way and when it times out, what a response head or a backend failure means, whether
/// to try another backend, and how the exchange ends.
///
/// Pure: the shell (`ClientConnection`) tells it what happened on the sockets, with the time,
/// and does what it answers; it holds no bytes and reads no clock. States carry their data;
/// an event that cannot happen in a state is a bug, caught by an assertion in debug builds.
public struct Exchange: Sendable {
    public enum State: Equatable, Sendable {
        /// Routed, no backend connection attached (before the first try or between tries);
        /// `lastFailure` is what the client gets if no other backend can be tried.
        case unattached(lastFailure: Outcome?)
        /// A non-blocking connect to a new backend connection is under way.
        case connecting
        /// The request goes (or went) to the backend and no final response head came yet.
        /// `reused`: the connection came from the idle pool; `bytesSeen`: response bytes (a 1xx,
        /// say) arrived; `interims`: the 1xx heads relayed so far.
        case awaitingHead(reused: Bool, bytesSeen: Bool, interims: Int)
        /// The final head (this status) is on its way to the client; the body streams.
        case streaming(status: Int)
        /// After a 101: bytes both ways until either side closes.
        case tunnel
        /// Over; every later event is ignored.
        case finished(Outcome)
    }

    /// What the backend connection did wrong.
    public enum Fault: Sendable {
        /// It closed, was reset, or a read or write on it failed.
        case closed
        /// It sent something invalid: a head Sluice refuses, or a broken chunked body.
        case invalid
    }

    /// What the shell does after a backend failure or a passed deadline.
    public struct Failure: Equatable, Sendable {
        public enum Then: Equatable, Sendable {
            /// Try the next backend (`resendHead`: queue the request head again, it went to
            /// the failed connection); with none left, `noBackendLeft()` says what to answer.
            case retry(resendHead: Bool)
            /// Drop what was queued for the client and answer with the proxy's own error
            /// (`outcome.status`); the exchange is finished.
            case respond(Outcome)
            /// Cut the client connection: the response cannot be completed.
            case abort(Outcome)
        }

        /// Whether the failure counts against the backend's passive health (a reused idle
        /// connection closed before answering is a race, not a sick backend).
        public var blameBackend: Bool
        public var then: Then
    }

    /// A backend sending more 1xx heads than this for one request is broken (or hostile).
    public static let maxInterimResponses = 16

    public private(set) var state: State = .unattached(lastFailure: nil)
    /// When the current wait ends (monotonic ms): the connect, the first byte of the head, or
    /// the next byte of a stalled body.
    public private(set) var deadline: Int64 = .max
    /// Backends tried so far.
    public private(set) var tries = 0
    private let retries: RetryPolicy
    private let timeouts: Timeouts
    /// The request has a body (so it is never sent again to another backend).
    public let requestHasBody: Bool
    private let wantsUpgrade: Bool

    /// A routed request. `requestHasBody`: it has a body (so it is never resent);
    /// `wantsUpgrade`: it asked to switch protocols (so a 101 is accepted).
    public init(retries: RetryPolicy, timeouts: Timeouts, requestHasBody: Bool, wantsUpgrade: Bool) {
        self.retries = retries
        self.timeouts = timeouts
        self.requestHasBody = requestHasBody
        self.wantsUpgrade = wantsUpgrade
    }

    /// The outcome, once finished.
    public var outcome: Outcome? {
        if case .finished(let outcome) = state { return outcome }
        return nil
    }

    /// The final response head is on its way to the client (or a tunnel is open).
    public var headSent: Bool {
        switch state {
        case .streaming, .tunnel: return true
        case .finished(let outcome): return outcome.status != 0
        default: return false
        }
    }

    /// Whether another backend may be tried (`1 + retries.attempts` tries in all).
    public var mayTry: Bool { tries < 1 + retries.attempts }

    // MARK: Events

    /// A backend connection is attached for a new try: taken from the idle pool (`reused`),
    /// or new, with its connect under way (`connecting`) or already done.
    public mutating func attached(reused: Bool, connecting: Bool, now: Int64) {
        guard case .unattached = state else { return unexpected("attached") }
        tries += 1
        if connecting {
            state = .connecting
            deadline = now + Int64(timeouts.connectMs)
        } else {
            state = .awaitingHead(reused: reused, bytesSeen: false, interims: 0)
            deadline = now + Int64(timeouts.firstByteMs)
        }
    }

    /// The connect finished.
    public mutating func connected(now: Int64) {
        guard case .connecting = state else { return unexpected("connected") }
        state = .awaitingHead(reused: false, bytesSeen: false, interims: 0)
        deadline = now + Int64(timeouts.firstByteMs)
    }

    /// Request bytes were written to the backend: the first-byte timeout counts from the last.
    public mutating func requestSent(now: Int64) {
        if case .awaitingHead = state { deadline = now + Int64(timeouts.firstByteMs) }
    }

    /// Response bytes arrived. Before the final head they extend nothing (a 1xx every second
    /// must not keep an exchange past its first-byte timeout); in a body, a stall is timed
    /// from the last byte.
    public mutating func responseRead(now: Int64) {
        switch state {
        case .awaitingHead(let reused, _, let interims):
            state = .awaitingHead(reused: reused, bytesSeen: true, interims: interims)
        case .streaming:
            deadline = now + Int64(timeouts.firstByteMs)
        default:
            break
        }
    }

    /// A 1xx head other than 101 arrived. Returns nil when it is to be relayed, or the failure
    /// when the backend has sent too many of them.
    public mutating func interimHead() -> Failure? {
        guard case .awaitingHead(let reused, _, let interims) = state else { unexpected("interimHead"); return nil }
        guard interims < Self.maxInterimResponses else { return respond(.invalidResponse, blame: true) }
        state = .awaitingHead(reused: reused, bytesSeen: true, interims: interims + 1)
        return nil
    }

    /// The final response head arrived (a valid status from 101 to 599). Returns nil when the
    /// head is passed on (a 101 opens a tunnel), or the failure (a 101 nobody asked for).
    public mutating func finalHead(status: Int, now: Int64) -> Failure? {
        guard case .awaitingHead = state else { unexpected("finalHead"); return nil }
        if status == 101 {
            guard wantsUpgrade else { return respond(.invalidResponse, blame: true) }
            state = .tunnel
            deadline = .max
            return nil
        }
        state = .streaming(status: status)
        deadline = now + Int64(timeouts.firstByteMs)
        return nil
    }

    /// The backend connection failed. `clientSawNothing`: no byte of this exchange's response
    /// has been written to the client yet, so a proxy error can still replace what was queued.
    /// Before the response head, retries as `retries.on` allows: after a failed connect
    /// (`connect-failure`), or when a reused idle connection died before answering a request
    /// without a body (`reset-before-response`); else 502.
    public mutating func backendFailed(_ fault: Fault, clientSawNothing: Bool) -> Failure {
        switch state {
        case .connecting:
            return connectFailed(.connectFailed)
        case .awaitingHead(let reused, let bytesSeen, _):
            let race = reused && !bytesSeen
            if fault == .closed && race && !requestHasBody && retries.onResetBeforeResponse && mayTry {
                state = .unattached(lastFailure: Outcome(.backend, .resetBeforeHead, status: 502))
                return Failure(blameBackend: false, then: .retry(resendHead: true))
            }
            return respond(fault == .invalid ? .invalidResponse : .resetBeforeHead, blame: !race || fault == .invalid)
        case .streaming(let status):
            let cause: Outcome.Cause = fault == .invalid ? .invalidBody : .closedAfterHead
            if clientSawNothing { return respond(cause, blame: true) }
            return finish(Outcome(.backend, cause, status: status), blame: true, abort: true)
        case .unattached, .tunnel, .finished:
            unexpected("backendFailed")
            return Failure(blameBackend: false, then: .abort(outcome ?? Outcome(.backend, .closedAfterHead, status: 0)))
        }
    }

    /// The loop's tick: returns what to do when the current wait is over, else nil.
    public mutating func tick(now: Int64, clientSawNothing: Bool) -> Failure? {
        guard now >= deadline else { return nil }
        switch state {
        case .connecting:
            return connectFailed(.connectTimeout)
        case .awaitingHead:
            return respond(.timeoutBeforeHead, status: 504, blame: true)
        case .streaming(let status):
            if clientSawNothing { return respond(.timeoutAfterHead, status: 504, blame: true) }
            return finish(Outcome(.backend, .timeoutAfterHead, status: status), blame: true, abort: true)
        case .unattached, .tunnel, .finished:
            return nil
        }
    }

    /// No backend is left to try (or none was available from the start): the last failure's
    /// answer, or 503 when nothing was tried.
    public mutating func noBackendLeft() -> Outcome {
        guard case .unattached(let lastFailure) = state else { unexpected("noBackendLeft"); return outcome ?? Outcome(.proxy, .rejected, status: 503) }
        let result = lastFailure ?? Outcome(.proxy, .rejected, status: 503)
        state = .finished(result)
        return result
    }

    /// The response body was passed on whole; `excess`: the backend sent bytes past its end.
    public mutating func responseComplete(excess: Bool) -> Outcome {
        guard case .streaming(let status) = state else { unexpected("responseComplete"); return outcome ?? Outcome(.backend, .completed, status: 0) }
        let result = Outcome(.backend, excess ? .excessBody : .completed, status: status)
        state = .finished(result)
        return result
    }

    /// The tunnel after a 101 closed (either side).
    public mutating func tunnelClosed() -> Outcome {
        let result = Outcome(.backend, .completed, status: 101)
        state = .finished(result)
        return result
    }

    /// The client went away, or its connection failed, before the exchange finished.
    public mutating func clientGone() -> Outcome {
        if let outcome { return outcome }
        let result = switch state {
        case .streaming(let status): Outcome(.client, .clientClosedAfterHead, status: status)
        case .tunnel: Outcome(.client, .clientClosedAfterHead, status: 101)
        default: Outcome(.client, .clientClosedBeforeHead, status: 0)
        }
        state = .finished(result)
        return result
    }

    /// The proxy refuses the rest of the request (a bad request body, a body timeout) with
    /// `status`: answered if no response head went out yet, else the client connection is cut.
    public mutating func requestRefused(status: Int) -> Failure.Then {
        if case .streaming(let sent) = state {
            let result = Outcome(.client, .clientClosedAfterHead, status: sent)
            state = .finished(result)
            return .abort(result)
        }
        let result = Outcome(.proxy, .rejected, status: status)
        state = .finished(result)
        return .respond(result)
    }

    // MARK: Helpers

    private mutating func connectFailed(_ cause: Outcome.Cause) -> Failure {
        let failure = Outcome(.backend, cause, status: 502)
        if retries.onConnectFailure && mayTry {
            state = .unattached(lastFailure: failure)
            return Failure(blameBackend: true, then: .retry(resendHead: false))
        }
        return finish(failure, blame: true, abort: false)
    }

    private mutating func respond(_ cause: Outcome.Cause, status: Int = 502, blame: Bool) -> Failure {
        finish(Outcome(.backend, cause, status: status), blame: blame, abort: false)
    }

    private mutating func finish(_ result: Outcome, blame: Bool, abort: Bool) -> Failure {
        state = .finished(result)
        return Failure(blameBackend: blame, then: abort ? .abort(result) : .respond(result))
    }

    private func unexpected(_ event: StaticString) {
        assertionFailure("Exchange: \(event) in state \(state)")
    }
}
