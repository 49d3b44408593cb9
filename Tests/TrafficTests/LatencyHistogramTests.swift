import Foundation
import JudgeSimulation
import Testing
import Traffic

struct LatencyHistogramTests {
    /// The judge's layout (docs/rollouts.md, "What is compared"), as the reference controller computes it: 1 + int(8·log2(ms/0.25)).
    private func referenceBucket(ms: Double) -> Int {
        ms < 0.25 ? 0 : min(145, 1 + Int(8 * log2(ms / 0.25)))
    }

    @Test func layoutIsEightPerOctaveFromAQuarterMillisecond() {
        #expect(LatencyHistogram.bucketCount == 146)
        #expect(LatencyHistogram.bucket(micros: 0) == 0)
        #expect(LatencyHistogram.bucket(micros: -5) == 0)
        #expect(LatencyHistogram.bucket(micros: 249) == 0)
        #expect(LatencyHistogram.bucket(micros: 250) == 1)
        #expect(LatencyHistogram.bucket(micros: 499) == 8)
        #expect(LatencyHistogram.bucket(micros: 500) == 9)
        #expect(LatencyHistogram.bucket(micros: 65_535_999) == 144)
        #expect(LatencyHistogram.bucket(micros: 65_536_000) == 145)
        #expect(LatencyHistogram.bucket(micros: Int.max) == 145)
        #expect(LatencyHistogram.lowerBoundMs(bucket: 0) == 0)
        #expect(LatencyHistogram.lowerBoundMs(bucket: 1) == 0.25)
        #expect(LatencyHistogram.upperBoundMs(bucket: 8) == 0.5)
        #expect(LatencyHistogram.lowerBoundMs(bucket: 145) == 65_536)
        #expect(LatencyHistogram.upperBoundMs(bucket: 145) == .infinity)
        for bucket in 1..<LatencyHistogram.bucketCount {
            let edgeMs = 0.25 * pow(2, Double(bucket - 1) / 8)
            #expect(LatencyHistogram.lowerBoundMs(bucket: bucket) == edgeMs)
            #expect(LatencyHistogram.upperBoundMs(bucket: bucket - 1) == edgeMs)
            let edgeMicros = Int((edgeMs * 1_000).rounded(.up))
            #expect(LatencyHistogram.bucket(micros: edgeMicros) == bucket)
            #expect(LatencyHistogram.bucket(micros: edgeMicros - 1) == bucket - 1)
        }
    }

    @Test func matchesTheReferenceControllersBuckets() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            let micros = Int(exp(generator.unit() * 19)) // 1 µs ... 178 s, log-uniform
            #expect(LatencyHistogram.bucket(micros: micros) == referenceBucket(ms: Double(micros) / 1_000))
        }
    }

    @Test func mergeAddsAndSubtractTakesBack() throws {
        var generator = SeededGenerator(seed: 3)
        var first = LatencyHistogram(), second = LatencyHistogram(), all = LatencyHistogram()
        for index in 0..<5_000 {
            let micros = Int(generator.unit() * 2_000_000)
            all.record(micros: micros)
            if index % 3 == 0 {
                first.record(micros: micros)
            } else {
                second.record(micros: micros)
            }
        }
        var merged = first
        merged.add(second)
        #expect(merged == all)
        #expect(merged.count == 5_000)
        merged.subtract(second)
        #expect(merged == first)
        merged.reset()
        #expect(merged == LatencyHistogram())
        #expect(try #require(LatencyHistogram(counts: all.counts)) == all)
        #expect(LatencyHistogram(counts: [1, 2, 3]) == nil)
        #expect(LatencyHistogram(counts: [UInt64.max, 1] + Array(repeating: 0, count: 144)) == nil)
    }

    @Test func quantilesOfALognormalAreWithinABucket() throws {
        var generator = SeededGenerator(seed: 11)
        var histogram = LatencyHistogram()
        var samples: [Double] = []
        for _ in 0..<100_000 {
            let normal = sqrt(-2 * log(1 - generator.unit())) * cos(2 * Double.pi * generator.unit())
            let ms = 20 * exp(0.6 * normal)
            samples.append(ms)
            histogram.record(micros: Int(ms * 1_000))
        }
        samples.sort()
        for q in [0.5, 0.9, 0.95, 0.99] {
            let exact = samples[Int(q * Double(samples.count)) - 1]
            let estimate = try #require(histogram.quantile(q))
            #expect(abs(estimate / exact - 1) < 0.09, "q=\(q): \(estimate) vs \(exact)")
        }
    }

    @Test func quantileEdgeCases() {
        #expect(LatencyHistogram().quantile(0.5) == nil)
        var one = LatencyHistogram()
        one.record(micros: 20_000)
        let bucket = LatencyHistogram.bucket(micros: 20_000)
        let median = one.quantile(0.5) ?? 0
        #expect(median >= LatencyHistogram.lowerBoundMs(bucket: bucket))
        #expect(median <= LatencyHistogram.upperBoundMs(bucket: bucket))
        var huge = LatencyHistogram()
        huge.record(micros: 100_000_000)
        #expect(huge.quantile(0.99) == 65_536)
    }
}
