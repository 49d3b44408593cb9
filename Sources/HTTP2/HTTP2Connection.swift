/// The server side of one HTTP/2 connection (RFC 9113), as a pure state machine.
///
/// The I/O shell owns the socket and the read buffer. It calls one mutating method per event:
/// `receive` with the bytes read so far, `tick` with the time, `sendHeaders`/`sendData`/
/// `sendTrailers`/`resetStream` when a stream's exchange has something for the client,
/// `dataConsumed` when a stream's request body bytes have been passed on, `shutdown` to drain.
/// Each returns what happened for the streams (`Output.events`); frames to write collect in
/// `outbound`, but for the DATA payloads sent with an owner, which stay where the owner keeps
/// them (`outboundSplices`). The shell takes them with `swapOutbound` or `takeOutbound`,
/// writes them, and should stop reading while they pile up. When `Output.close` (or
/// `isClosed`) is true the shell writes what is left and closes. The time enters as
/// milliseconds; nothing here reads a clock.
///
/// Connection errors end in GOAWAY with the RFC's error code; stream errors in RST_STREAM and a
/// `.reset` event when the stream was open. Defences: at most `maxConcurrentStreams` open;
/// budgets of resets (rapid reset), SETTINGS, PINGs and empty frames; header blocks bounded in
/// size and in CONTINUATION frames; a decoded-size bound in HPACK; a stall timeout for streams
/// whose send window stays shut.
public struct HTTP2Connection {
    public enum Event: Equatable, Sendable {
        /// A new request; `endStream` when it has no body.
        case request(stream: UInt32, RequestFields, endStream: Bool)
        /// A new request whose header list exceeded the limit: answer 431 and end the stream.
        case requestHeadersTooLarge(stream: UInt32, endStream: Bool)
        /// Request body bytes: a range of the buffer given to `receive`. Call `dataConsumed`
        /// once they have been passed on, or the client's window stays shut.
        case data(stream: UInt32, Range<Int>, endStream: Bool)
        /// The request's trailer section; the request is complete.
        case trailers(stream: UInt32, HeaderList)
        /// The stream ended abnormally (reset by the client, or by us after a stream error).
        /// Nothing more may be sent on it; drop its exchange.
        case reset(stream: UInt32, HTTP2ErrorCode)
        /// The send window of a stream, or of all of them (stream 0), grew: retry `sendData`.
        case sendWindowOpened(stream: UInt32)
        /// The client sent GOAWAY: it opens no more streams.
        case peerGoingAway(lastStream: UInt32, HTTP2ErrorCode)
    }

    public struct Output: Equatable, Sendable {
        public var events: [Event] = []
        /// Bytes of the `receive` input used; the rest must be passed again with more.
        public var consumed = 0
        /// The connection is over: write `outbound`, then close.
        public var close = false
    }

    enum State: Equatable, Sendable {
        /// Bytes of the client preface matched so far are not kept: the preface is matched
        /// only once all 24 bytes are in (any shorter input is checked as a prefix).
        case awaitingPreface
        /// The first frame after the preface must be SETTINGS.
        case awaitingSettings
        case active
        /// We sent GOAWAY(NO_ERROR): streams up to `lastStream` finish, newer ones are ignored.
        case goingAway(lastStream: UInt32)
        case closed
    }

    /// A header block whose END_HEADERS has not arrived yet.
    struct PendingBlock: Sendable {
        var stream: UInt32
        var endStream: Bool
        var selfDependent: Bool
        var continuations = 0
    }

    public let configuration: HTTP2Configuration
    var state: State = .awaitingPreface
    var parser: FrameParser
    var decoder: HPACKDecoder
    var encoder: HPACKEncoder
    var streams: [UInt32: HTTP2Stream] = [:]
    var closedStreams = ClosedStreams()
    /// The highest stream id the client has used.
    var lastPeerStream: UInt32 = 0
    var peerGoingAway = false
    var pending: PendingBlock?
    /// The header block being collected (reused).
    var block: [UInt8] = []
    /// The decoded list (reused).
    var fields = HeaderList()
    /// The header block being encoded (reused).
    var sendBlock: [UInt8] = []

    /// The client's settings that shape what we send.
    var peerInitialWindow = 65_535
    var peerMaxFrameSize = FrameLimits.minMaxFrameSize
    var connectionSendWindow = 65_535
    var connectionReceiveWindow = 65_535
    var connectionUnacknowledged = 0

    var resetBudget: RateBudget
    var settingsBudget: RateBudget
    var pingBudget: RateBudget
    var emptyFrameBudget: RateBudget

    /// Frames to write, in order, but for the payloads in `outboundSplices`.
    public internal(set) var outbound: [UInt8] = []
    /// The DATA payloads left out of `outbound`, in order.
    public internal(set) var outboundSplices: [Splice] = []
    /// Bytes of the payloads in `outboundSplices`.
    var splicedCount = 0

    /// A connection whose server preface (our SETTINGS, and a WINDOW_UPDATE raising the
    /// connection window) is already in `outbound`.
    public init(configuration: HTTP2Configuration = HTTP2Configuration()) {
        precondition(configuration.initialWindowSize >= 65_535 && configuration.initialWindowSize <= FrameLimits.maxWindow
            && configuration.connectionWindowSize >= 65_535 && configuration.connectionWindowSize <= FrameLimits.maxWindow)
        precondition(configuration.maxFrameSize >= FrameLimits.minMaxFrameSize && configuration.maxFrameSize <= FrameLimits.maxMaxFrameSize)
        self.configuration = configuration
        parser = FrameParser(maxFrameSize: configuration.maxFrameSize)
        decoder = HPACKDecoder(maxTableSize: configuration.headerTableSize, maxHeaderListSize: configuration.maxHeaderListSize)
        encoder = HPACKEncoder(preferredTableSize: configuration.headerTableSize)
        resetBudget = configuration.resetBudget
        settingsBudget = configuration.settingsBudget
        pingBudget = configuration.pingBudget
        emptyFrameBudget = configuration.emptyFrameBudget
        FrameWriter.settings(&outbound, configuration.settings)
        if configuration.connectionWindowSize > connectionReceiveWindow {
            FrameWriter.windowUpdate(&outbound, stream: 0, increment: configuration.connectionWindowSize - connectionReceiveWindow)
            connectionReceiveWindow = configuration.connectionWindowSize
        }
    }

    public var isClosed: Bool { state == .closed }
    /// Streams open now.
    public var openStreams: Int { streams.count }

    /// Bytes of frames to write: `outbound` and the payloads left out of it.
    public var outboundCount: Int { outbound.count + splicedCount }

    /// Hands over the frames to write as bytes, the payloads left out copied in (and their
    /// owners' counts taken down).
    public mutating func takeOutbound() -> [UInt8] {
        var bytes: [UInt8] = []
        var at = 0
        for splice in outboundSplices {
            bytes += outbound[at..<splice.at]
            bytes += splice.bytes
            splice.owner.pendingPayloads -= 1
            at = splice.at
        }
        bytes += outbound[at...]
        outbound = []
        outboundSplices = []
        splicedCount = 0
        return bytes
    }

    /// Hands over the frames to write in exchange for `bytes` and `splices`, which are
    /// emptied (keeping their capacity) and take the frames after: the shell queues them
    /// without copying a byte.
    public mutating func swapOutbound(_ bytes: inout [UInt8], _ splices: inout [Splice]) {
        bytes.removeAll(keepingCapacity: true)
        splices.removeAll(keepingCapacity: true)
        swap(&bytes, &outbound)
        swap(&splices, &outboundSplices)
        splicedCount = 0
    }

    /// Bytes arrived: parses every whole frame in `buf` (all bytes not consumed before) at
    /// time `nowMs`. Data events are ranges of `buf`.
    public mutating func receive(_ buf: UnsafeRawBufferPointer, nowMs: Int) -> Output {
        var out = Output()
        while state != .closed {
            let rest = UnsafeRawBufferPointer(rebasing: buf[out.consumed...])
            if state == .awaitingPreface {
                let preface = FrameLimits.clientPreface
                let n = min(rest.count, preface.utf8CodeUnitCount)
                let expected = UnsafeRawBufferPointer(start: preface.utf8Start, count: n)
                guard rest[..<n].elementsEqual(expected) else {
                    fail(.connection(.protocolError, .preface, "not the HTTP/2 client preface"), &out)
                    break
                }
                guard n == preface.utf8CodeUnitCount else { break }
                out.consumed += n
                state = .awaitingSettings
                continue
            }
            switch parser.next(rest) {
            case .needMore:
                return finish(out)
            case .frame(let frame, let consumed):
                do throws(HTTP2Error) {
                    try handle(frame, rest, base: out.consumed, nowMs: nowMs, &out)
                } catch {
                    streamOrConnectionError(error, &out)
                }
                out.consumed += consumed
            case .error(let error, let consumed):
                if pending != nil || state == .awaitingSettings {
                    fail(.connection(.protocolError, .streamState, "malformed frame where only \(pending != nil ? "CONTINUATION" : "SETTINGS") may come: \(error.cause)"), &out)
                } else {
                    streamOrConnectionError(error, &out)
                }
                out.consumed += consumed
            }
        }
        return finish(out)
    }

    /// Time passed: ends the connection when a stream has waited `stallTimeoutMs` for a send
    /// window the client keeps shut (a window open now ends the wait, even before the stream
    /// had bytes to send in it).
    public mutating func tick(nowMs: Int) -> Output {
        var out = Output()
        guard state != .closed else { return finish(out) }
        for (id, stream) in streams where sendWindow(id) == 0 {
            if let since = stream.blockedSinceMs, nowMs - since >= configuration.stallTimeoutMs {
                fail(.connection(.enhanceYourCalm, .abuse, "send window shut for \(nowMs - since) ms"), &out)
                break
            }
        }
        return finish(out)
    }

    /// Starts a graceful shutdown: GOAWAY(NO_ERROR) naming the last stream taken; streams
    /// already open finish, and the connection closes when the last one does.
    public mutating func shutdown() -> Output {
        switch state {
        case .awaitingPreface, .awaitingSettings, .active:
            FrameWriter.goaway(&outbound, lastStream: lastPeerStream, code: .noError)
            state = .goingAway(lastStream: lastPeerStream)
        case .goingAway, .closed:
            break
        }
        return finish(Output())
    }

    /// Marks the output closed when the connection is over.
    mutating func finish(_ out: Output) -> Output {
        var out = out
        closeIfDrained()
        out.close = state == .closed
        return out
    }

    /// Closes a draining connection (our GOAWAY or the client's) once no stream is left.
    mutating func closeIfDrained() {
        guard streams.isEmpty, pending == nil else { return }
        if case .goingAway = state { state = .closed }
        if peerGoingAway { state = .closed }
    }

    /// A connection error: GOAWAY with its code, then nothing more is read.
    mutating func fail(_ error: HTTP2Error, _ out: inout Output) {
        guard state != .closed else { return }
        FrameWriter.goaway(&outbound, lastStream: lastPeerStream, code: error.code, debug: Array(error.cause.utf8.prefix(128)))
        state = .closed
        out.close = true
    }

    mutating func streamOrConnectionError(_ error: HTTP2Error, _ out: inout Output) {
        switch error.scope {
        case .connection:
            fail(error, &out)
        case .stream(let id):
            FrameWriter.rstStream(&outbound, stream: id, code: error.code)
            if remove(id, .resetByUs) { out.events.append(.reset(stream: id, error.code)) }
        }
    }
}
