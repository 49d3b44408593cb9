/// Cuts frames out of received bytes (RFC 9113 sections 4 and 6).
///
/// Runs on each read: the caller passes all unconsumed bytes, takes one frame (or an error),
/// consumes `consumed` bytes and calls again. A frame is returned only once it is whole, so the
/// caller's buffer holds at most one frame of `maxFrameSize` plus its header; the length is
/// checked as soon as the 9-byte header is in. The parser keeps no state between calls: any
/// split of the input gives the same frames. Each frame type's own layout is validated here
/// (lengths, stream-id rules, padding, SETTINGS values); what depends on stream state is left to
/// `HTTP2Connection`.
public struct FrameParser: Sendable {
    /// The largest payload accepted: our SETTINGS_MAX_FRAME_SIZE.
    public var maxFrameSize: Int

    public init(maxFrameSize: Int = FrameLimits.minMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    public enum Result: Equatable, Sendable {
        /// No whole frame yet; nothing consumed.
        case needMore
        case frame(Frame, consumed: Int)
        /// A malformed frame. After a stream error the caller may go on after `consumed` bytes;
        /// after a connection error the connection is over.
        case error(HTTP2Error, consumed: Int)
    }

    /// Parses the frame at the start of `buf`.
    public func next(_ buf: UnsafeRawBufferPointer) -> Result {
        guard buf.count >= FrameLimits.headerSize else { return .needMore }
        let length = Int(buf[0]) << 16 | Int(buf[1]) << 8 | Int(buf[2])
        let type = buf[3]
        let flags = buf[4]
        let stream = Self.readUInt32(buf, 5) & 0x7FFF_FFFF
        if length > maxFrameSize {
            return .error(.connection(.frameSizeError, .frame, "frame of \(length) bytes exceeds SETTINGS_MAX_FRAME_SIZE \(maxFrameSize)"), consumed: 0)
        }
        let total = FrameLimits.headerSize + length
        guard buf.count >= total else { return .needMore }
        let start = FrameLimits.headerSize
        switch Self.parse(buf, type: type, flags: flags, stream: stream, payload: start..<total) {
        case .success(let frame): return .frame(frame, consumed: total)
        case .failure(let error): return .error(error, consumed: total)
        }
    }

    static func parse(_ buf: UnsafeRawBufferPointer, type: UInt8, flags: UInt8, stream: UInt32, payload: Range<Int>) -> Swift.Result<Frame, HTTP2Error> {
        let length = payload.count
        switch type {
        case FrameType.data:
            guard stream != 0 else { return .failure(.connection(.protocolError, .frame, "DATA on stream 0")) }
            switch unpad(buf, flags: flags, payload: payload, fixed: 0) {
            case .success(let data):
                return .success(.data(stream: stream, data: data, endStream: flags & FrameFlags.endStream != 0, flowLength: length))
            case .failure(let e): return .failure(e)
            }

        case FrameType.headers:
            guard stream != 0 else { return .failure(.connection(.protocolError, .frame, "HEADERS on stream 0")) }
            let hasPriority = flags & FrameFlags.priority != 0
            switch unpad(buf, flags: flags, payload: payload, fixed: hasPriority ? 5 : 0) {
            case .success(var block):
                var priority: Frame.Priority?
                if hasPriority {
                    priority = readPriority(buf, block.lowerBound)
                    block = block.lowerBound + 5..<block.upperBound
                }
                return .success(.headers(stream: stream, block: block, endStream: flags & FrameFlags.endStream != 0,
                                         endHeaders: flags & FrameFlags.endHeaders != 0, priority: priority))
            case .failure(let e): return .failure(e)
            }

        case FrameType.priority:
            guard stream != 0 else { return .failure(.connection(.protocolError, .frame, "PRIORITY on stream 0")) }
            guard length == 5 else { return .failure(.stream(stream, .frameSizeError, .frame, "PRIORITY of \(length) bytes, not 5")) }
            return .success(.priority(stream: stream, readPriority(buf, payload.lowerBound)))

        case FrameType.rstStream:
            guard stream != 0 else { return .failure(.connection(.protocolError, .frame, "RST_STREAM on stream 0")) }
            guard length == 4 else { return .failure(.connection(.frameSizeError, .frame, "RST_STREAM of \(length) bytes, not 4")) }
            return .success(.rstStream(stream: stream, code: HTTP2ErrorCode(rawValue: readUInt32(buf, payload.lowerBound))))

        case FrameType.settings:
            guard stream == 0 else { return .failure(.connection(.protocolError, .frame, "SETTINGS on stream \(stream)")) }
            if flags & FrameFlags.ack != 0 {
                guard length == 0 else { return .failure(.connection(.frameSizeError, .frame, "SETTINGS ACK with a payload")) }
                return .success(.settings(ack: true, []))
            }
            guard length % 6 == 0 else { return .failure(.connection(.frameSizeError, .frame, "SETTINGS of \(length) bytes, not a multiple of 6")) }
            var settings: [Setting] = []
            settings.reserveCapacity(length / 6)
            for at in stride(from: payload.lowerBound, to: payload.upperBound, by: 6) {
                let setting = Setting(UInt16(buf[at]) << 8 | UInt16(buf[at + 1]), readUInt32(buf, at + 2))
                if let error = validate(setting) { return .failure(error) }
                settings.append(setting)
            }
            return .success(.settings(ack: false, settings))

        case FrameType.pushPromise:
            // Only a server may push; the connection rejects it. Its layout is irrelevant then.
            guard stream != 0 else { return .failure(.connection(.protocolError, .frame, "PUSH_PROMISE on stream 0")) }
            return .success(.pushPromise(stream: stream))

        case FrameType.ping:
            guard stream == 0 else { return .failure(.connection(.protocolError, .frame, "PING on stream \(stream)")) }
            guard length == 8 else { return .failure(.connection(.frameSizeError, .frame, "PING of \(length) bytes, not 8")) }
            let opaque = UInt64(readUInt32(buf, payload.lowerBound)) << 32 | UInt64(readUInt32(buf, payload.lowerBound + 4))
            return .success(.ping(ack: flags & FrameFlags.ack != 0, opaque: opaque))

        case FrameType.goaway:
            guard stream == 0 else { return .failure(.connection(.protocolError, .frame, "GOAWAY on stream \(stream)")) }
            guard length >= 8 else { return .failure(.connection(.frameSizeError, .frame, "GOAWAY of \(length) bytes, under 8")) }
            return .success(.goaway(lastStream: readUInt32(buf, payload.lowerBound) & 0x7FFF_FFFF,
                                    code: HTTP2ErrorCode(rawValue: readUInt32(buf, payload.lowerBound + 4)),
                                    debug: payload.lowerBound + 8..<payload.upperBound))

        case FrameType.windowUpdate:
            guard length == 4 else { return .failure(.connection(.frameSizeError, .frame, "WINDOW_UPDATE of \(length) bytes, not 4")) }
            return .success(.windowUpdate(stream: stream, increment: readUInt32(buf, payload.lowerBound) & 0x7FFF_FFFF))

        case FrameType.continuation:
            guard stream != 0 else { return .failure(.connection(.protocolError, .frame, "CONTINUATION on stream 0")) }
            return .success(.continuation(stream: stream, block: payload, endHeaders: flags & FrameFlags.endHeaders != 0))

        default:
            return .success(.unknown(type: type, stream: stream, length: length))
        }
    }

    /// The payload without the pad length byte, `fixed` bytes of fields, and the padding; a
    /// pad length that leaves no room is a connection error (sections 6.1 and 6.2).
    static func unpad(_ buf: UnsafeRawBufferPointer, flags: UInt8, payload: Range<Int>, fixed: Int) -> Swift.Result<Range<Int>, HTTP2Error> {
        guard flags & FrameFlags.padded != 0 else {
            guard payload.count >= fixed else { return .failure(.connection(.frameSizeError, .frame, "frame too short for its priority fields")) }
            return .success(payload)
        }
        guard payload.count >= 1 + fixed else { return .failure(.connection(.frameSizeError, .frame, "padded frame too short for its pad length")) }
        let padding = Int(buf[payload.lowerBound])
        guard padding <= payload.count - 1 - fixed else { return .failure(.connection(.protocolError, .frame, "padding of \(padding) bytes exceeds the payload")) }
        return .success(payload.lowerBound + 1..<payload.upperBound - padding)
    }

    /// Section 6.5.2: the values a known setting may not take.
    static func validate(_ setting: Setting) -> HTTP2Error? {
        switch setting.id {
        case Setting.enablePush where setting.value > 1:
            .connection(.protocolError, .frame, "SETTINGS_ENABLE_PUSH of \(setting.value)")
        case Setting.initialWindowSize where setting.value > UInt32(FrameLimits.maxWindow):
            .connection(.flowControlError, .frame, "SETTINGS_INITIAL_WINDOW_SIZE of \(setting.value)")
        case Setting.maxFrameSize where setting.value < UInt32(FrameLimits.minMaxFrameSize) || setting.value > UInt32(FrameLimits.maxMaxFrameSize):
            .connection(.protocolError, .frame, "SETTINGS_MAX_FRAME_SIZE of \(setting.value)")
        default:
            nil
        }
    }

    static func readPriority(_ buf: UnsafeRawBufferPointer, _ at: Int) -> Frame.Priority {
        let word = readUInt32(buf, at)
        return Frame.Priority(dependency: word & 0x7FFF_FFFF, exclusive: word & 0x8000_0000 != 0, weight: buf[at + 4])
    }

    @inline(__always) static func readUInt32(_ buf: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(buf[at]) << 24 | UInt32(buf[at + 1]) << 16 | UInt32(buf[at + 2]) << 8 | UInt32(buf[at + 3])
    }
}
