import CLinuxShim
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Makes request ids and sticky keys: 32 lowercase hex digits, unique per process (a
/// random 64-bit worker prefix and a counter) without allocating.
struct RequestIDGenerator {
    private var state: UInt64
    private var counter: UInt64 = 0
    private let prefix: UInt64

    init() {
        var seed: (UInt64, UInt64) = (0, 0)
        _ = withUnsafeMutableBytes(of: &seed) { getrandom($0.baseAddress, 16, 0) }
        prefix = seed.0
        state = seed.1
    }

    /// A new request id, appended to `buffer`.
    mutating func appendRequestID(to buffer: inout ByteBuffer) {
        counter &+= 1
        buffer.appendHex(prefix, minDigits: 16)
        buffer.appendHex(counter, minDigits: 16)
    }

    /// A new unpredictable key (for sticky cookies), appended to `buffer`.
    mutating func appendRandomKey(to buffer: inout ByteBuffer) {
        buffer.appendHex(nextRandom(), minDigits: 16)
        buffer.appendHex(nextRandom(), minDigits: 16)
    }

    /// splitmix64: fast, well mixed; seeded from getrandom.
    private mutating func nextRandom() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
