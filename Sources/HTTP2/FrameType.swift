/// Frame types (RFC 9113 section 6) and the flag bits they use.
public enum FrameType {
    public static let data: UInt8 = 0x0
    public static let headers: UInt8 = 0x1
    public static let priority: UInt8 = 0x2
    public static let rstStream: UInt8 = 0x3
    public static let settings: UInt8 = 0x4
    public static let pushPromise: UInt8 = 0x5
    public static let ping: UInt8 = 0x6
    public static let goaway: UInt8 = 0x7
    public static let windowUpdate: UInt8 = 0x8
    public static let continuation: UInt8 = 0x9
}

public enum FrameFlags {
    public static let endStream: UInt8 = 0x1
    public static let ack: UInt8 = 0x1
    public static let endHeaders: UInt8 = 0x4
    public static let padded: UInt8 = 0x8
    public static let priority: UInt8 = 0x20
}

/// Sizes fixed by RFC 9113.
public enum FrameLimits {
    /// Every frame starts with a 9-byte header.
    public static let headerSize = 9
    /// SETTINGS_MAX_FRAME_SIZE may be neither smaller nor larger than these.
    public static let minMaxFrameSize = 16_384
    public static let maxMaxFrameSize = 16_777_215
    /// Flow-control windows and increments may not exceed 2^31-1.
    public static let maxWindow = 2_147_483_647
    /// The connection preface a client sends first (section 3.4).
    public static let clientPreface: StaticString = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
}
