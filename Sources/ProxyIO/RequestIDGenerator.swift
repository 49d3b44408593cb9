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

    /// A new unpredictable key (for sticky cookies), appended to `buffer`.
    mutating func appendRandomKey(to buffer: inout ByteBuffer) {
        buffer.appendHex(random.next(), minDigits: 16)
        buffer.appendHex(random.next(), minDigits: 16)
    }
}
