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

        @inlinable
        public init(blameBackend: Bool, then: Then) {
            self.blameBackend = blameBackend
            self.then = then
        }
    }

    /// A backend sending more 1xx heads than this for one request is broken (or hostile).
    public static let maxInterimResponses = 16

    @inlinable public var state: State { current }
    /// When the current wait ends (monotonic ms): the connect, the first byte of the head, or
    /// the next byte of a stalled body.
    @inlinable public var deadline: Int64 { waitEnds }
    /// Backends tried so far.
    @inlinable public var tries: Int { attempts }
    /// The request has a body (so it is never sent again to another backend).
    public let requestHasBody: Bool

    // The methods are inlinable (the shell runs them for every request, from another module),
    // so the state lives in usable-from-inline storage behind the read-only properties above.
    @usableFromInline var current: State = .unattached(lastFailure: nil)
    @usableFromInline var waitEnds: Int64 = .max
    @usableFromInline var attempts = 0
    @usableFromInline let retries: RetryPolicy
    @usableFromInline let timeouts: Timeouts
    @usableFromInline let wantsUpgrade: Bool

    /// A routed request. `requestHasBody`: it has a body (so it is never resent);
    /// `wantsUpgrade`: it asked to switch protocols (so a 101 is accepted).
    public init(retries: RetryPolicy, timeouts: Timeouts, requestHasBody: Bool, wantsUpgrade: Bool) {
        self.retries = retries
        self.timeouts = timeouts
        self.requestHasBody = requestHasBody
        self.wantsUpgrade = wantsUpgrade
    }

    /// The outcome, once finished.
    @inlinable public var outcome: Outcome? {
        if case .finished(let outcome) = current { return outcome }
        return nil
    }

    /// The final response head is on its way to the client (or a tunnel is open).
    @inlinable public var headSent: Bool {
        switch current {
        case .streaming, .tunnel: return true
        case .finished(let outcome): return outcome.status != 0
        default: return false
        }
    }

    /// Whether another backend may be tried (`1 + retries.attempts` tries in all).
    @inlinable public var mayTry: Bool { tries < 1 + retries.attempts }

    // MARK: Events

    /// A backend connection is attached for a new try: taken from the idle pool (`reused`),
    /// or new, with its connect under way (`connecting`) or already done.
    @inlinable public mutating func attached(reused: Bool, connecting: Bool, now: Int64) {
        guard case .unattached = current else { return unexpected("attached") }
        attempts += 1
        if connecting {
            current = .connecting
            waitEnds = now + Int64(timeouts.connectMs)
        } else {
            current = .awaitingHead(reused: reused, bytesSeen: false, interims: 0)
            waitEnds = now + Int64(timeouts.firstByteMs)
        }
    }

    /// The connect finished.
    @inlinable public mutating func connected(now: Int64) {
        guard case .connecting = current else { return unexpected("connected") }
        current = .awaitingHead(reused: false, bytesSeen: false, interims: 0)
        waitEnds = now + Int64(timeouts.firstByteMs)
    }

    /// Request bytes were written to the backend: the first-byte timeout counts from the last.
    @inlinable public mutating func requestSent(now: Int64) {
        if case .awaitingHead = current { waitEnds = now + Int64(timeouts.firstByteMs) }
    }

    /// Response bytes arrived. Before the final head they extend nothing (a 1xx every second
    /// must not keep an exchange past its first-byte timeout); in a body, a stall is timed
    /// from the last byte.
    @inlinable public mutating func responseRead(now: Int64) {
        switch current {
        case .awaitingHead(let reused, _, let interims):
            current = .awaitingHead(reused: reused, bytesSeen: true, interims: interims)
        case .streaming:
            waitEnds = now + Int64(timeouts.firstByteMs)
        default:
            break
        }
    }

    /// A 1xx head other than 101 arrived. Returns nil when it is to be relayed, or the failure
    /// when the backend has sent too many of them.
    @inlinable public mutating func interimHead() -> Failure? {
        guard case .awaitingHead(let reused, _, let interims) = current else { unexpected("interimHead"); return nil }
        guard interims < Self.maxInterimResponses else { return respond(.invalidResponse, blame: true) }
        current = .awaitingHead(reused: reused, bytesSeen: true, interims: interims + 1)
        return nil
    }

    /// The final response head arrived (a valid status from 101 to 599). Returns nil when the
    /// head is passed on (a 101 opens a tunnel), or the failure (a 101 nobody asked for).
    @inlinable public mutating func finalHead(status: Int, now: Int64) -> Failure? {
        guard case .awaitingHead = current else { unexpected("finalHead"); return nil }
        if status == 101 {
            guard wantsUpgrade else { return respond(.invalidResponse, blame: true) }
            current = .tunnel
            waitEnds = .max
            return nil
        }
        current = .streaming(status: status)
        waitEnds = now + Int64(timeouts.firstByteMs)
        return nil
    }

    /// The backend connection failed. `clientSawNothing`: no byte of this exchange's response
    /// has been written to the client yet, so a proxy error can still replace what was queued.
    /// Before the response head, retries as `retries.on` allows: after a failed connect
    /// (`connect-failure`), or when a reused idle connection died before answering a request
    /// without a body (`reset-before-response`); else 502.
    @inlinable public mutating func backendFailed(_ fault: Fault, clientSawNothing: Bool) -> Failure {
        switch current {
        case .connecting:
            return connectFailed(.connectFailed)
        case .awaitingHead(let reused, let bytesSeen, _):
            let race = reused && !bytesSeen
            if fault == .closed && race && !requestHasBody && retries.onResetBeforeResponse && mayTry {
                current = .unattached(lastFailure: Outcome(.backend, .resetBeforeHead, status: 502))
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
    @inlinable public mutating func tick(now: Int64, clientSawNothing: Bool) -> Failure? {
        guard now >= deadline else { return nil }
        switch current {
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
    @inlinable public mutating func noBackendLeft() -> Outcome {
        guard case .unattached(let lastFailure) = current else { unexpected("noBackendLeft"); return outcome ?? Outcome(.proxy, .rejected, status: 503) }
        let result = lastFailure ?? Outcome(.proxy, .rejected, status: 503)
        current = .finished(result)
        return result
    }

    /// The response body was passed on whole; `excess`: the backend sent bytes past its end.
    @inlinable public mutating func responseComplete(excess: Bool) -> Outcome {
        guard case .streaming(let status) = current else { unexpected("responseComplete"); return outcome ?? Outcome(.backend, .completed, status: 0) }
        let result = Outcome(.backend, excess ? .excessBody : .completed, status: status)
        current = .finished(result)
        return result
    }

    /// The tunnel after a 101 closed (either side).
    @inlinable public mutating func tunnelClosed() -> Outcome {
        let result = Outcome(.backend, .completed, status: 101)
        current = .finished(result)
        return result
    }

    /// The client went away, or its connection failed, before the exchange finished.
    @inlinable public mutating func clientGone() -> Outcome {
        if let outcome { return outcome }
        let result = switch current {
        case .streaming(let status): Outcome(.client, .clientClosedAfterHead, status: status)
        case .tunnel: Outcome(.client, .clientClosedAfterHead, status: 101)
        default: Outcome(.client, .clientClosedBeforeHead, status: 0)
        }
        current = .finished(result)
        return result
    }

    /// The proxy refuses the rest of the request (a bad request body, a body timeout) with
    /// `status`: answered if no response head went out yet, else the client connection is cut.
    @inlinable public mutating func requestRefused(status: Int) -> Failure.Then {
        if case .streaming(let sent) = current {
            let result = Outcome(.client, .clientClosedAfterHead, status: sent)
            current = .finished(result)
            return .abort(result)
        }
        let result = Outcome(.proxy, .rejected, status: status)
        current = .finished(result)
        return .respond(result)
    }

    // MARK: Helpers

    @inlinable mutating func connectFailed(_ cause: Outcome.Cause) -> Failure {
        let failure = Outcome(.backend, cause, status: 502)
        if retries.onConnectFailure && mayTry {
            current = .unattached(lastFailure: failure)
            return Failure(blameBackend: true, then: .retry(resendHead: false))
        }
        return finish(failure, blame: true, abort: false)
    }

    @inlinable mutating func respond(_ cause: Outcome.Cause, status: Int = 502, blame: Bool) -> Failure {
        finish(Outcome(.backend, cause, status: status), blame: blame, abort: false)
    }

    @inlinable mutating func finish(_ result: Outcome, blame: Bool, abort: Bool) -> Failure {
        current = .finished(result)
        return Failure(blameBackend: blame, then: abort ? .abort(result) : .respond(result))
    }

    @inlinable func unexpected(_ event: StaticString) {
        assertionFailure("Exchange: \(event) in state \(state)")
    }
}
