import CLinuxShim
import HTTP1
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// Makes request ids and sticky keys: 32 lowercase hex digits, unique per process (a
/// random 64-bit worker prefix and a counter) without allocating.
struct RequestIDGenerator {
    private var random: SeededGenerator
    private var counter: UInt64 = 0
    private let prefix: UInt64

    init() {
        var seed: (UInt64, UInt64) = (0, 0)
        _ = withUnsafeMutableBytes(of: &seed) { getrandom($0.baseAddress, 16, 0) }
        prefix = seed.0
        random = SeededGenerator(seed: seed.1)
    }

    /// A new request id, appended to `buffer`.
    mutating func appendRequestID(to buffer: inout ByteBuffer) {
        counter &+= 1
        buffer.appendHex(prefix, minDigits: 16)
        buffer.appendHex(counter, minDigits: 16)
    }

    /// The request's id, appended to `buffer`: `client`, the value of the request's first
    /// X-Request-Id field, when valid (1-128 of `[A-Za-z0-9._-]`), else a new one. Runs once
    /// per request.
    @inline(__always)
    mutating func appendRequestID(client: UnsafeRawBufferPointer?, to buffer: inout ByteBuffer) {
        if let client, client.count >= 1 && client.count <= 128 && client.allSatisfy(Self.isIDByte) {
            buffer.append(client)
        } else {
            appendRequestID(to: &buffer)
        }
    }

    @inline(__always)
    private static func isIDByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// A new unpredictable key (for sticky cookies), appended to `buffer`.
    mutating func appendRandomKey(to buffer: inout ByteBuffer) {
        buffer.appendHex(random.next(), minDigits: 16)
        buffer.appendHex(random.next(), minDigits: 16)
    }
}
