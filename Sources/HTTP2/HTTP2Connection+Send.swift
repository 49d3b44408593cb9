/// The sending side: what a stream's exchange hands to the client, and the bytes it has passed
/// on. Each call writes frames to `outbound`; a call for a stream that is gone (reset) does
/// nothing and says so.
extension HTTP2Connection {
    static let statusName = Array(":status".utf8)

    /// The response head of stream `s`: `:status` (100-999) and `fields` (any case;
    /// connection-specific ones dropped). An interim (1xx) head may come before the final one.
    /// False when the stream is gone, its final head was already sent, or the status is invalid.
    public mutating func sendHeaders(_ s: UInt32, status: Int, fields: HeaderList, endStream: Bool) -> Bool {
        guard state != .closed, var stream = streams[s], stream.local == .awaitingHeaders, (100...999).contains(status) else { return false }
        var block = takeSendBlock()
        let digits = [UInt8(0x30 + status / 100), UInt8(0x30 + status / 10 % 10), UInt8(0x30 + status % 10)]
        encoder.encode(name: Self.statusName[...], value: digits[...], into: &block)
        encodeFields(fields, into: &block)
        FrameWriter.headers(&outbound, stream: s, block: block, endStream: endStream, maxFrameSize: peerMaxFrameSize)
        sendBlock = block
        stream.local = endStream ? .closed : status < 200 ? .awaitingHeaders : .sendingBody
        streams[s] = stream
        closeIfDone(s)
        return true
    }

    /// Response body bytes of stream `s`: sends as many as both send windows allow, in frames
    /// of at most the client's SETTINGS_MAX_FRAME_SIZE; END_STREAM goes with the last byte when
    /// `endStream` and all were taken. Returns how many bytes were taken (retry the rest after
    /// `.sendWindowOpened`), nil when the stream is gone. With an `owner` the bytes taken are
    /// not copied: they go to `outboundSplices`, and the owner keeps them until written.
    public mutating func sendData(_ s: UInt32, _ bytes: UnsafeRawBufferPointer, endStream: Bool, nowMs: Int,
                                  owner: (any PayloadOwner)? = nil) -> Int? {
        guard state != .closed, var stream = streams[s], stream.local == .sendingBody else { return nil }
        let n = max(0, min(bytes.count, connectionSendWindow, stream.sendWindow))
        if bytes.isEmpty && endStream {
            FrameWriter.data(&outbound, stream: s, bytes, endStream: true)
        }
        var at = 0
        while at < n {
            let chunk = min(n - at, peerMaxFrameSize)
            let payload = UnsafeRawBufferPointer(rebasing: bytes[at..<at + chunk])
            FrameWriter.dataHeader(&outbound, stream: s, length: chunk, endStream: endStream && at + chunk == bytes.count)
            if let owner {
                outboundSplices.append(Splice(at: outbound.count, bytes: payload, owner: owner))
                owner.pendingPayloads += 1
                splicedCount += chunk
            } else {
                outbound.append(contentsOf: payload)
            }
            at += chunk
        }
        connectionSendWindow -= n
        stream.sendWindow -= n
        if n == bytes.count {
            stream.blockedSinceMs = nil
            if endStream { stream.local = .closed }
        } else {
            // Only a wait without any progress counts towards the stall timeout.
            stream.blockedSinceMs = n > 0 ? nowMs : (stream.blockedSinceMs ?? nowMs)
        }
        streams[s] = stream
        closeIfDone(s)
        return n
    }

    /// Stream `s` has response body to send (read or still coming from its backend) and no
    /// window to send it in: the wait counts towards the stall timeout from now, unless it
    /// already does.
    public mutating func waitingForWindow(_ s: UInt32, nowMs: Int) {
        guard var stream = streams[s], stream.blockedSinceMs == nil else { return }
        stream.blockedSinceMs = nowMs
        streams[s] = stream
    }

    /// What stream `s` may send now: the smaller of its own and the connection's send
    /// window (0 when the stream is gone or cannot send body bytes).
    public func sendWindow(_ s: UInt32) -> Int {
        guard state != .closed, let stream = streams[s], stream.local == .sendingBody else { return 0 }
        return max(0, min(connectionSendWindow, stream.sendWindow))
    }

    /// The response's trailer section; ends the stream. False when the stream is gone.
    public mutating func sendTrailers(_ s: UInt32, fields: HeaderList) -> Bool {
        guard state != .closed, var stream = streams[s], stream.local == .sendingBody else { return false }
        var block = takeSendBlock()
        encodeFields(fields, into: &block)
        FrameWriter.headers(&outbound, stream: s, block: block, endStream: true, maxFrameSize: peerMaxFrameSize)
        sendBlock = block
        stream.local = .closed
        streams[s] = stream
        closeIfDone(s)
        return true
    }

    /// Ends stream `s` abnormally (the backend failed mid-response, the exchange was dropped).
    public mutating func resetStream(_ s: UInt32, code: HTTP2ErrorCode) -> Output {
        if state != .closed, streams[s] != nil {
            FrameWriter.rstStream(&outbound, stream: s, code: code)
            remove(s, .resetByUs)
        }
        return finish(Output())
    }

    /// `count` body bytes of stream `s` delivered by `.data` events have been passed on (or
    /// dropped): the client may send that much more. Reports for streams already gone are
    /// ignored: their bytes went back to the connection window when they went.
    public mutating func dataConsumed(_ s: UInt32, count: Int) -> Output {
        if state != .closed, var stream = streams[s] {
            stream.outstanding -= count
            streams[s] = stream
            credit(s, count)
        }
        return finish(Output())
    }

    /// The reused buffer for a header block we send, emptied, with the size updates the
    /// encoder owes already in it. Put back into `sendBlock` after use.
    mutating func takeSendBlock() -> [UInt8] {
        var block: [UInt8] = []
        swap(&block, &sendBlock)
        block.removeAll(keepingCapacity: true)
        encoder.beginBlock(into: &block)
        return block
    }

    mutating func encodeFields(_ fields: HeaderList, into block: inout [UInt8]) {
        for i in 0..<fields.count {
            let name = fields.name(i)
            // An HTTP/1.1 response's connection-specific fields have no place in HTTP/2.
            if RequestFields.isConnectionSpecific(name) { continue }
            encoder.encode(name: name, value: fields.value(i), into: &block)
        }
    }
}
