#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Traffic

/// Seeded request traffic for the judge, as JUDGE.md's simulation models it: a Poisson number
/// of requests each second with mean `rate`, each request sent to green with the green weight's probability (the
/// per-request random split), failing with its pool's rate, and otherwise taking a lognormal
/// latency shaped by its pool's behaviour; counted per second into the data plane's counters.
public struct TrafficSimulator: Sendable {
    public static let medianMs = 20.0
    public static let sigma = 0.6

    /// Requests per second over both pools.
    public var rate: Double
    public var blue: PoolBehaviour
    public var green: PoolBehaviour
    private var generator: SeededGenerator
    /// The second standard normal of the last pair drawn, not used yet.
    private var spareNormal: Double?
    private var evidence = SecondEvidence()

    public init(rate: Double, blue: PoolBehaviour, green: PoolBehaviour, seed: UInt64) {
        self.rate = rate
        self.blue = blue
        self.green = green
        generator = SeededGenerator(seed: seed)
    }

    /// Simulates the next second with green getting `greenWeight` of the requests and returns
    /// both pools' counters.
    public mutating func second(greenWeight: Weight) -> SecondEvidence {
        evidence.reset()
        let greenShare = Double(greenWeight.basisPoints) / 10_000
        for _ in 0..<poisson(rate) {
            let pool: Pool = generator.unit() < greenShare ? .green : .blue
            let behaviour = pool == .blue ? blue : green
            let failed = generator.unit() < behaviour.failureRate
            evidence.record(pool, failed: failed, micros: failed ? 0 : Int(latencyMs(behaviour) * 1_000))
        }
        return evidence
    }

    /// One success's latency in milliseconds.
    private mutating func latencyMs(_ behaviour: PoolBehaviour) -> Double {
        var ms = Self.medianMs * exp(Self.sigma * normal()) * behaviour.latencyFactor + behaviour.addedMs
        if behaviour.slowShare > 0, generator.unit() < behaviour.slowShare {
            ms += behaviour.slowAddedMs
        }
        return ms
    }

    /// A standard normal number (Marsaglia's polar method, which draws them in pairs).
    private mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * generator.unit() - 1, v = 2 * generator.unit() - 1
            let s = u * u + v * v
            guard s < 1, s > 0 else { continue }
            let scale = (-2 * log(s) / s).squareRoot()
            spareNormal = v * scale
            return u * scale
        }
    }

    /// A Poisson number with mean `mean`: Knuth's product of uniforms below 30, Hörmann's
    /// transformed rejection (PTRS, as NumPy draws them) above.
    private mutating func poisson(_ mean: Double) -> Int {
        if mean < 30 {
            let limit = exp(-mean)
            var count = 0, product = generator.unit()
            while product > limit {
                count += 1
                product *= generator.unit()
            }
            return count
        }
        let root = mean.squareRoot(), logMean = log(mean)
        let b = 0.931 + 2.53 * root, a = -0.059 + 0.02483 * b
        let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4), acceptBelow = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = generator.unit() - 0.5, v = generator.unit()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
            if us >= 0.07, v <= acceptBelow { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(inverseAlpha) - log(a / (us * us) + b) <= -mean + k * logMean - lgamma(k + 1) {
                return Int(k)
            }
        }
    }
}
