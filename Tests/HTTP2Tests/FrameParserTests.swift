import Testing
@testable import HTTP2

/// The frame layer on its own: every type's layout, its errors, and the writer.
struct FrameParserTests {
    func parse(_ bytes: [UInt8], maxFrameSize: Int = 16_384) -> FrameParser.Result {
        bytes.withUnsafeBytes { FrameParser(maxFrameSize: maxFrameSize).next($0) }
    }

    func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        FrameWriter.header(&out, length: payload.count, type: type, flags: flags, stream: stream)
        return out + payload
    }

    func error(_ bytes: [UInt8]) -> HTTP2Error? {
        if case .error(let e, _) = parse(bytes) { e } else { nil }
    }

    @Test func needsTheWholeFrameAndChecksLengthEarly() {
        let ping = frame(type: FrameType.ping, stream: 0, [1, 2, 3, 4, 5, 6, 7, 8])
        for n in 0..<ping.count { #expect(parse(Array(ping[..<n])) == .needMore) }
        #expect(parse(ping + [0xAA]) == .frame(.ping(ack: false, opaque: 0x0102030405060708), consumed: 17))
        // A header announcing 16,385 bytes fails before the payload arrives.
        let big: [UInt8] = [0x00, 0x40, 0x01, FrameType.data, 0, 0, 0, 0, 1]
        #expect(error(big)?.code == .frameSizeError && error(big)?.scope == .connection)
        // A larger SETTINGS_MAX_FRAME_SIZE admits it.
        #expect(parse(big, maxFrameSize: 1 << 20) == .needMore)
    }

    @Test func dataAndHeadersPaddingAndPriority() {
        // DATA, padded: pad length 3, "hi", 3 bytes of padding.
        #expect(parse(frame(type: FrameType.data, flags: FrameFlags.padded | FrameFlags.endStream, stream: 1, [3, 0x68, 0x69, 0, 0, 0]))
            == .frame(.data(stream: 1, data: 10..<12, endStream: true, flowLength: 6), consumed: 15))
        // Pad length equal to the rest of the payload: PROTOCOL_ERROR (6.1).
        #expect(error(frame(type: FrameType.data, flags: FrameFlags.padded, stream: 1, [3, 0, 0]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.data, flags: FrameFlags.padded, stream: 1, [2, 0, 0])) == nil) // all padding: fine
        #expect(error(frame(type: FrameType.data, stream: 0, []))?.code == .protocolError)
        // HEADERS with padding and priority: pad length, 5 bytes of priority, block, padding.
        let h = frame(type: FrameType.headers, flags: FrameFlags.padded | FrameFlags.priority | FrameFlags.endHeaders, stream: 3,
                      [1, 0x80, 0, 0, 1, 200, 0x82, 0])
        #expect(parse(h) == .frame(.headers(stream: 3, block: 15..<16, endStream: false, endHeaders: true,
                                            priority: Frame.Priority(dependency: 1, exclusive: true, weight: 200)), consumed: 17))
        #expect(error(frame(type: FrameType.headers, flags: FrameFlags.padded, stream: 1, [5, 0, 0]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.headers, stream: 0, [0x82]))?.code == .protocolError)
    }

    @Test func fixedLengthFrames() {
        // PRIORITY of 4 bytes: a stream error FRAME_SIZE_ERROR (6.3), the frame consumed.
        #expect(parse(frame(type: FrameType.priority, stream: 1, [0, 0, 0, 0]))
            == .error(.stream(1, .frameSizeError, .frame, "PRIORITY of 4 bytes, not 5"), consumed: 13))
        #expect(error(frame(type: FrameType.priority, stream: 0, [0, 0, 0, 0, 0]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.rstStream, stream: 1, [0, 0, 0]))?.code == .frameSizeError)
        #expect(error(frame(type: FrameType.rstStream, stream: 0, [0, 0, 0, 0]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.ping, stream: 0, [0, 0, 0, 0, 0, 0]))?.code == .frameSizeError)
        #expect(error(frame(type: FrameType.ping, stream: 1, [0, 0, 0, 0, 0, 0, 0, 0]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.windowUpdate, stream: 0, [0, 0, 1]))?.code == .frameSizeError)
        #expect(error(frame(type: FrameType.goaway, stream: 0, [0, 0, 0, 0]))?.code == .frameSizeError)
        #expect(error(frame(type: FrameType.goaway, stream: 1, [0, 0, 0, 0, 0, 0, 0, 0]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.continuation, stream: 0, []))?.code == .protocolError)
        // The reserved bit of the stream id and of the increment are ignored (4.1, 6.9).
        #expect(parse(frame(type: FrameType.windowUpdate, stream: 0, [0x80, 0, 0, 5]).enumerated().map { $0.offset == 5 ? 0x80 : $0.element })
            == .frame(.windowUpdate(stream: 0, increment: 5), consumed: 13))
    }

    @Test func settingsValidation() {
        #expect(parse(frame(type: FrameType.settings, stream: 0, [0, 4, 0, 1, 0, 0, 0, 0x99, 0, 0, 0, 1]))
            == .frame(.settings(ack: false, [Setting(Setting.initialWindowSize, 65536), Setting(0x99, 1)]), consumed: 21))
        #expect(error(frame(type: FrameType.settings, flags: FrameFlags.ack, stream: 0, [0, 1, 0, 0, 0, 0]))?.code == .frameSizeError)
        #expect(error(frame(type: FrameType.settings, stream: 1, []))?.code == .protocolError)
        #expect(error(frame(type: FrameType.settings, stream: 0, [0, 1, 0]))?.code == .frameSizeError)
        #expect(error(frame(type: FrameType.settings, stream: 0, [0, 2, 0, 0, 0, 2]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.settings, stream: 0, [0, 4, 0x80, 0, 0, 0]))?.code == .flowControlError)
        #expect(error(frame(type: FrameType.settings, stream: 0, [0, 5, 0, 0, 0x3F, 0xFF]))?.code == .protocolError)
        #expect(error(frame(type: FrameType.settings, stream: 0, [0, 5, 0x01, 0, 0, 0]))?.code == .protocolError)
    }

    @Test func unknownTypesAndFlagsAreIgnored() {
        #expect(parse(frame(type: 0x42, flags: 0xFF, stream: 7, [1, 2, 3])) == .frame(.unknown(type: 0x42, stream: 7, length: 3), consumed: 12))
        #expect(parse(frame(type: FrameType.ping, flags: 0xFE, stream: 0, [0, 0, 0, 0, 0, 0, 0, 0])) == .frame(.ping(ack: false, opaque: 0), consumed: 17))
    }

    @Test func writerRoundTrips() {
        var out: [UInt8] = []
        FrameWriter.headers(&out, stream: 5, block: [UInt8](repeating: 0x82, count: 40_000), endStream: true, maxFrameSize: 16_384)
        let written = frames(out)
        #expect(written.map(\.type) == [FrameType.headers, FrameType.continuation, FrameType.continuation])
        #expect(written.map(\.flags) == [FrameFlags.endStream, 0, FrameFlags.endHeaders])
        #expect(written.map(\.payload.count) == [16_384, 16_384, 7_232])
        out = []
        FrameWriter.goaway(&out, lastStream: 9, code: .enhanceYourCalm, debug: Array("x".utf8))
        #expect(parse(out) == .frame(.goaway(lastStream: 9, code: .enhanceYourCalm, debug: 17..<18), consumed: 18))
        out = []
        FrameWriter.windowUpdate(&out, stream: 3, increment: FrameLimits.maxWindow)
        #expect(parse(out) == .frame(.windowUpdate(stream: 3, increment: UInt32(FrameLimits.maxWindow)), consumed: 13))
        out = []
        FrameWriter.rstStream(&out, stream: 3, code: .cancel)
        #expect(parse(out) == .frame(.rstStream(stream: 3, code: .cancel), consumed: 13))
    }
}
