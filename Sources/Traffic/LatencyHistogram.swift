#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Latencies counted in fixed log buckets, 8 per octave: bucket 0 holds everything under
/// 0.25 ms, bucket `i` in 1...144 holds [0.25·2^((i−1)/8), 0.25·2^(i/8)) ms, and bucket 145
/// everything from 0.25·2^18 ms (65.536 s) up. Every worker, pool and judge uses this one layout,
/// so histograms merge by adding counts. The counts live in one array of `bucketCount` entries,
/// allocated when the histogram is made; recording, merging and resetting never allocate unless
/// the storage is shared with a copy (a value type: hand a copy on, and the next write copies).
public struct LatencyHistogram: Hashable, Sendable {
    /// Buckets per octave of latency.
    public static let bucketsPerOctave = 8
    /// 146: the underflow bucket, 18 octaves above 0.25 ms, the overflow bucket.
    public static let bucketCount = 8 * 18 + 2

    /// `lowerEdgesMicros[k]` is the smallest whole number of microseconds in bucket `k + 1`:
    /// the ceiling of 250·2^(k/8).
    private static let lowerEdgesMicros: [Int] = (0..<(bucketCount - 1)).map {
        Int((250 * exp2(Double($0) / Double(bucketsPerOctave))).rounded(.up))
    }

    /// How many requests fell in each bucket.
    public private(set) var counts: [UInt64]
    /// The sum of `counts`.
    public private(set) var count: UInt64 = 0

    /// An empty histogram.
    public init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Rebuilds a histogram from its `counts` (a persisted one); nil unless there are exactly
    /// `bucketCount` of them or if they overflow.
    public init?(counts: [UInt64]) {
        guard counts.count == Self.bucketCount else { return nil }
        var total: UInt64 = 0
        for value in counts {
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { return nil }
            total = sum
        }
        self.counts = counts
        count = total
    }

    /// `firstEdgeOfWidth[w]` is the index of the first edge that is at least 2^(w−1): where the
    /// edges of a value `w` bits wide start.
    private static let firstEdgeOfWidth: [Int] = (0...Int.bitWidth).map { width in
        width == 0 ? 0 : lowerEdgesMicros.count(where: { $0.bitWidth - $0.leadingZeroBitCount < width })
    }

    /// The bucket of a latency in whole microseconds (negative values count as 0): from the
    /// first edge of the value's bit width, a scan over at most the 8 or 9 edges of that
    /// octave; integers only.
    public static func bucket(micros: Int) -> Int {
        guard micros >= lowerEdgesMicros[0] else { return 0 }
        var index = firstEdgeOfWidth[Int.bitWidth - micros.leadingZeroBitCount]
        while index < lowerEdgesMicros.count, lowerEdgesMicros[index] <= micros {
            index += 1
        }
        return index
    }

    /// The lower edge of `bucket` in milliseconds (0 for the underflow bucket).
    public static func lowerBoundMs(bucket: Int) -> Double {
        bucket == 0 ? 0 : 0.25 * exp2(Double(bucket - 1) / Double(bucketsPerOctave))
    }

    /// The upper edge of `bucket` in milliseconds (infinity for the overflow bucket).
    public static func upperBoundMs(bucket: Int) -> Double {
        bucket == bucketCount - 1 ? .infinity : 0.25 * exp2(Double(bucket) / Double(bucketsPerOctave))
    }

    /// Counts one request that took `micros` microseconds. Runs once per request; does not allocate.
    public mutating func record(micros: Int) {
        counts[Self.bucket(micros: micros)] += 1
        count += 1
    }

    /// Adds another histogram's counts to this one (merging workers, seconds or windows).
    public mutating func add(_ other: LatencyHistogram) {
        for index in 0..<Self.bucketCount {
            counts[index] += other.counts[index]
        }
        count += other.count
    }

    /// Takes back counts that were added before (a second leaving a sliding window); `other`
    /// must be part of this histogram.
    public mutating func subtract(_ other: LatencyHistogram) {
        for index in 0..<Self.bucketCount {
            counts[index] -= other.counts[index]
        }
        count -= other.count
    }

    /// Sets every count to zero, keeping the storage (per-second counters reused every second).
    public mutating func reset() {
        counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        count = 0
    }

    /// Estimates quantile `q` (0...1) in milliseconds, interpolating linearly inside the bucket
    /// that holds it, as Prometheus's `histogram_quantile` does; the overflow bucket answers its
    /// lower edge. Nil when the histogram is empty. The estimate is within the bucket's width
    /// (9% for a latency over 0.25 ms) of the true sample quantile.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = min(max(q, 0), 1) * Double(count)
        var below: UInt64 = 0
        for bucket in 0..<Self.bucketCount where counts[bucket] > 0 {
            let inBucket = counts[bucket]
            if Double(below + inBucket) >= rank {
                let low = Self.lowerBoundMs(bucket: bucket), high = Self.upperBoundMs(bucket: bucket)
                guard high.isFinite else { return low }
                return low + (high - low) * (rank - Double(below)) / Double(inBucket)
            }
            below += inBucket
        }
        return nil
    }
}
