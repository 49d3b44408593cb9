/// The receiving side: one handler per frame type, run by `receive` for each whole frame.
/// A thrown error is a stream or connection error as its scope says.
extension HTTP2Connection {
    mutating func handle(_ frame: Frame, _ buf: UnsafeRawBufferPointer, base: Int, nowMs: Int, _ out: inout Output) throws(HTTP2Error) {
        if state == .awaitingSettings {
            guard case .settings(ack: false, _) = frame else {
                throw .connection(.protocolError, .preface, "the first frame is not SETTINGS")
            }
            state = .active
        }
        if let pending {
            guard case .continuation(let s, _, _) = frame, s == pending.stream else {
                throw .connection(.protocolError, .streamState, "a frame other than CONTINUATION inside a header block")
            }
        }
        switch frame {
        case .data(let s, let data, let endStream, let flowLength):
            try receiveData(s, data, endStream: endStream, flowLength: flowLength, buf: buf, base: base, nowMs: nowMs, &out)
        case .headers(let s, let fragment, let endStream, let endHeaders, let priority):
            try checkBlockSize(fragment.count)
            if fragment.isEmpty && !endHeaders { try spendEmpty(nowMs) }
            block.removeAll(keepingCapacity: true)
            block.append(contentsOf: buf[fragment])
            pending = PendingBlock(stream: s, endStream: endStream, selfDependent: priority?.dependency == s)
            if endHeaders { try completeBlock(nowMs: nowMs, &out) }
        case .continuation(let s, let fragment, let endHeaders):
            guard var p = pending, p.stream == s else {
                throw .connection(.protocolError, .streamState, "CONTINUATION without a header block in progress")
            }
            p.continuations += 1
            pending = p
            guard p.continuations <= configuration.maxContinuationFrames else {
                throw .connection(.enhanceYourCalm, .abuse, "more than \(configuration.maxContinuationFrames) CONTINUATION frames in one header block")
            }
            try checkBlockSize(block.count + fragment.count)
            if fragment.isEmpty && !endHeaders { try spendEmpty(nowMs) }
            block.append(contentsOf: buf[fragment])
            if endHeaders { try completeBlock(nowMs: nowMs, &out) }
        case .priority(let s, let priority):
            if priority.dependency == s { throw .stream(s, .protocolError, .streamState, "stream depends on itself") }
        case .rstStream(let s, let code):
            try receiveReset(s, code, nowMs: nowMs, &out)
        case .settings(let ack, let settings):
            guard !ack else { return }
            guard settingsBudget.spend(nowMs: nowMs) else { throw .connection(.enhanceYourCalm, .abuse, "SETTINGS flood") }
            try apply(settings, &out)
            FrameWriter.settingsAck(&outbound)
        case .pushPromise:
            throw .connection(.protocolError, .streamState, "PUSH_PROMISE from a client")
        case .ping(let ack, let opaque):
            guard !ack else { return }
            guard pingBudget.spend(nowMs: nowMs) else { throw .connection(.enhanceYourCalm, .abuse, "PING flood") }
            FrameWriter.ping(&outbound, opaque: opaque, ack: true)
        case .goaway(let lastStream, let code, _):
            peerGoingAway = true
            out.events.append(.peerGoingAway(lastStream: lastStream, code))
            closeIfDrained() // at once: what follows in this read must not depend on where it was cut
        case .windowUpdate(let s, let increment):
            try receiveWindowUpdate(s, Int(increment), &out)
        case .unknown:
            try spendEmpty(nowMs)
        }
    }

    /// A header block (HEADERS and CONTINUATION frames together) stays within its limit.
    func checkBlockSize(_ size: Int) throws(HTTP2Error) {
        guard size <= configuration.maxHeaderBlockSize else {
            throw .connection(.enhanceYourCalm, .abuse, "header block over \(configuration.maxHeaderBlockSize) bytes")
        }
    }

    mutating func spendEmpty(_ nowMs: Int) throws(HTTP2Error) {
        guard emptyFrameBudget.spend(nowMs: nowMs) else { throw .connection(.enhanceYourCalm, .abuse, "flood of frames without content") }
    }

    /// A stream id the client has not opened yet (section 5.1: idle).
    func isIdle(_ s: UInt32) -> Bool { s > lastPeerStream }

    /// A frame on a stream that has no record and is not idle: what it means depends on how the
    /// stream closed (section 5.1). Returns normally when the frame is to be ignored. A stream
    /// not remembered was never opened (skipped ids close implicitly) or closed long ago:
    /// HEADERS on it reuse an old id (PROTOCOL_ERROR, section 5.1.1), anything else is late.
    func closedStreamFrame(_ s: UInt32, headers: Bool) throws(HTTP2Error) {
        let what = headers ? "HEADERS" : "DATA"
        if case .goingAway(let last) = state, s > last { return } // opened after our GOAWAY: ignored
        switch closedStreams.lookup(s) {
        case .resetByUs: return
        case .resetByPeer: throw .stream(s, .streamClosed, .streamState, "\(what) after RST_STREAM")
        case .ended: throw .connection(.streamClosed, .streamState, "\(what) on a closed stream")
        case nil where headers: throw .connection(.protocolError, .streamState, "HEADERS on stream \(s), below one already used")
        case nil: throw .connection(.streamClosed, .streamState, "DATA on a closed stream")
        }
    }

    // MARK: - Header blocks

    /// END_HEADERS arrived: decodes the block (always, to keep the HPACK table in step) and opens
    /// a stream or takes trailers.
    mutating func completeBlock(nowMs: Int, _ out: inout Output) throws(HTTP2Error) {
        guard let p = pending else { return }
        pending = nil
        fields.removeAll()
        let bytes = block
        let decoded: HPACKError? = bytes.withUnsafeBytes { raw in
            do throws(HPACKError) {
                try decoder.decode(raw, into: &fields)
                return nil
            } catch {
                return error
            }
        }
        let tooLarge = decoded == .headerListTooLarge
        if let decoded, !tooLarge { throw .connection(.compressionError, .hpack, "\(decoded)") }
        let s = p.stream
        if var stream = streams[s] {
            guard case .open(let contentLength, let received) = stream.remote else {
                throw .stream(s, .streamClosed, .streamState, "HEADERS on a half-closed (remote) stream")
            }
            guard p.endStream else { throw .stream(s, .protocolError, .streamState, "second HEADERS without END_STREAM") }
            if tooLarge { throw .stream(s, .protocolError, .fields, "trailer section over the header list limit") }
            if let error = RequestFields.validateTrailers(fields, stream: s) { throw error }
            if let contentLength, contentLength != received { throw .stream(s, .protocolError, .fields, "DATA add up to \(received), not content-length \(contentLength)") }
            stream.remote = .closed
            streams[s] = stream
            out.events.append(.trailers(stream: s, fields))
            closeIfDone(s)
            return
        }
        guard isIdle(s) else { return try closedStreamFrame(s, headers: true) }
        guard s % 2 == 1 else { throw .connection(.protocolError, .streamState, "client stream id \(s) is even") }
        lastPeerStream = s
        if case .goingAway(let last) = state, s > last { return } // after our GOAWAY: ignored
        if p.selfDependent { throw .stream(s, .protocolError, .streamState, "stream depends on itself") }
        if streams.count >= configuration.maxConcurrentStreams {
            guard resetBudget.spend(nowMs: nowMs) else { throw .connection(.enhanceYourCalm, .abuse, "too many refused streams") }
            throw .stream(s, .refusedStream, .streamState, "over SETTINGS_MAX_CONCURRENT_STREAMS")
        }
        var stream = HTTP2Stream(remote: p.endStream ? .closed : .open(contentLength: nil, received: 0),
                                 sendWindow: peerInitialWindow, receiveWindow: configuration.initialWindowSize)
        if tooLarge {
            streams[s] = stream
            out.events.append(.requestHeadersTooLarge(stream: s, endStream: p.endStream))
            return
        }
        switch RequestFields.validate(fields, stream: s) {
        case .failure(let error):
            throw error
        case .success(let request):
            if let n = request.contentLength {
                if p.endStream && n != 0 { throw .stream(s, .protocolError, .fields, "END_STREAM with content-length \(n)") }
                if !p.endStream { stream.remote = .open(contentLength: n, received: 0) }
            }
            streams[s] = stream
            out.events.append(.request(stream: s, request, endStream: p.endStream))
        }
    }

    // MARK: - DATA and flow control

    mutating func receiveData(_ s: UInt32, _ data: Range<Int>, endStream: Bool, flowLength: Int, buf: UnsafeRawBufferPointer, base: Int, nowMs: Int, _ out: inout Output) throws(HTTP2Error) {
        guard flowLength <= connectionReceiveWindow else {
            throw .connection(.flowControlError, .flowControl, "DATA beyond the connection window")
        }
        connectionReceiveWindow -= flowLength
        guard !isIdle(s) else { throw .connection(.protocolError, .streamState, "DATA on idle stream \(s)") }
        guard var stream = streams[s] else {
            credit(connectionOnly: flowLength)
            return try closedStreamFrame(s, headers: false)
        }
        guard case .open(let contentLength, var received) = stream.remote else {
            credit(connectionOnly: flowLength)
            throw .stream(s, .streamClosed, .streamState, "DATA on a half-closed (remote) stream")
        }
        guard flowLength <= stream.receiveWindow else {
            credit(connectionOnly: flowLength)
            throw .stream(s, .flowControlError, .flowControl, "DATA beyond the stream window")
        }
        stream.receiveWindow -= flowLength
        received += data.count
        if let contentLength, received > contentLength || (endStream && received != contentLength) {
            credit(connectionOnly: flowLength)
            throw .stream(s, .protocolError, .fields, "DATA add up to \(received), not content-length \(contentLength)")
        }
        if data.isEmpty && !endStream { try spendEmpty(nowMs) }
        stream.remote = endStream ? .closed : .open(contentLength: contentLength, received: received)
        stream.outstanding += data.count
        streams[s] = stream
        // Padding is not passed on: returned to the client at once.
        if flowLength > data.count { credit(s, flowLength - data.count) }
        out.events.append(.data(stream: s, base + data.lowerBound..<base + data.upperBound, endStream: endStream))
        closeIfDone(s)
    }

    /// Returns `n` received bytes to the client's windows, with WINDOW_UPDATE once half a
    /// window is owed (fewer, larger updates).
    mutating func credit(_ s: UInt32, _ n: Int) {
        if var stream = streams[s], case .open = stream.remote {
            stream.unacknowledged += n
            if stream.unacknowledged >= configuration.initialWindowSize / 2 {
                FrameWriter.windowUpdate(&outbound, stream: s, increment: stream.unacknowledged)
                stream.receiveWindow += stream.unacknowledged
                stream.unacknowledged = 0
            }
            streams[s] = stream
        }
        credit(connectionOnly: n)
    }

    mutating func credit(connectionOnly n: Int) {
        connectionUnacknowledged += n
        if connectionUnacknowledged >= configuration.connectionWindowSize / 2 {
            FrameWriter.windowUpdate(&outbound, stream: 0, increment: connectionUnacknowledged)
            connectionReceiveWindow += connectionUnacknowledged
            connectionUnacknowledged = 0
        }
    }

    mutating func receiveWindowUpdate(_ s: UInt32, _ increment: Int, _ out: inout Output) throws(HTTP2Error) {
        if s == 0 {
            guard increment > 0 else { throw .connection(.protocolError, .flowControl, "WINDOW_UPDATE of 0 on the connection") }
            guard connectionSendWindow + increment <= FrameLimits.maxWindow else {
                throw .connection(.flowControlError, .flowControl, "connection window over 2^31-1")
            }
            connectionSendWindow += increment
            out.events.append(.sendWindowOpened(stream: 0))
            return
        }
        guard !isIdle(s) else { throw .connection(.protocolError, .streamState, "WINDOW_UPDATE on idle stream \(s)") }
        guard var stream = streams[s] else { return } // closed: may cross our END_STREAM or RST
        guard increment > 0 else { throw .stream(s, .protocolError, .flowControl, "WINDOW_UPDATE of 0") }
        guard stream.sendWindow + increment <= FrameLimits.maxWindow else {
            throw .stream(s, .flowControlError, .flowControl, "stream window over 2^31-1")
        }
        stream.sendWindow += increment
        streams[s] = stream
        out.events.append(.sendWindowOpened(stream: s))
    }

    // MARK: - Control frames

    mutating func receiveReset(_ s: UInt32, _ code: HTTP2ErrorCode, nowMs: Int, _ out: inout Output) throws(HTTP2Error) {
        guard !isIdle(s) else { throw .connection(.protocolError, .streamState, "RST_STREAM on idle stream \(s)") }
        guard remove(s, .resetByPeer) else { return }
        out.events.append(.reset(stream: s, code))
        guard resetBudget.spend(nowMs: nowMs) else { throw .connection(.enhanceYourCalm, .abuse, "rapid reset: streams cancelled faster than the budget") }
    }

    /// Applies the client's SETTINGS (values already checked by the parser).
    mutating func apply(_ settings: [Setting], _ out: inout Output) throws(HTTP2Error) {
        for setting in settings {
            switch setting.id {
            case Setting.headerTableSize:
                encoder.setPeerMaxTableSize(Int(setting.value))
            case Setting.initialWindowSize:
                let delta = Int(setting.value) - peerInitialWindow
                for (id, var stream) in streams {
                    guard stream.sendWindow + delta <= FrameLimits.maxWindow else {
                        throw .connection(.flowControlError, .flowControl, "SETTINGS_INITIAL_WINDOW_SIZE takes stream \(id) over 2^31-1")
                    }
                    stream.sendWindow += delta
                    streams[id] = stream
                }
                peerInitialWindow = Int(setting.value)
                if delta > 0 && !streams.isEmpty { out.events.append(.sendWindowOpened(stream: 0)) }
            case Setting.maxFrameSize:
                peerMaxFrameSize = Int(setting.value)
            default:
                break // enable push, concurrency (no pushes), header list size (advisory), unknown
            }
        }
    }

    /// Drops the stream's record once both sides have ended it.
    mutating func closeIfDone(_ s: UInt32) {
        if let stream = streams[s], stream.isClosed { remove(s, .ended) }
    }

    /// Drops a stream's record, remembering how it closed; body bytes delivered and not yet
    /// consumed go back to the connection window; a draining connection closes with its last
    /// stream. False when it had none.
    @discardableResult
    mutating func remove(_ s: UInt32, _ how: ClosedHow) -> Bool {
        closedStreams.add(s, how)
        guard let stream = streams.removeValue(forKey: s) else { return false }
        if stream.outstanding > 0 { credit(connectionOnly: stream.outstanding) }
        closeIfDrained()
        return true
    }
}
