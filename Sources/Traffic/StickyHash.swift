/// Assigns a user's key (cookie value, header value or client address bytes) to one of 10000
/// buckets, and a bucket to a pool, so that a user keeps their pool as long as the weight does
/// not move across their bucket.
public enum StickyHash {
    /// The number of buckets; one bucket per basis point of weight.
    public static let bucketCount = 10_000

    /// Hashes `key` to a bucket in `0..<bucketCount`: 64-bit FNV-1a, then the splitmix64
    /// finalizer to spread FNV's weak low bits. Stable across runs and processes (no seed), so
    /// every worker and every instance agrees. Does not allocate.
    public static func bucket(_ key: UnsafeRawBufferPointer) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Int(hash % UInt64(bucketCount))
    }

    /// The pool for a bucket: green iff `bucket < green.basisPoints`. Monotone: while green's
    /// weight only grows, a user in green stays in green; while it only shrinks, a user in blue
    /// stays in blue.
    public static func pool(bucket: Int, green: Weight) -> Pool {
        bucket < green.basisPoints ? .green : .blue
    }
}
