import Foundation

/// xoshiro256** seeded through SplitMix64: the same seed gives the same numbers on every
/// platform, unlike the system generator.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// A generator for `stream` of `seed` (e.g. one per room or sample), so that work done
    /// in parallel draws the same numbers whatever the order.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var x = seed &+ 0x9E37_79B9_7F4A_7C15 &* (stream &+ 1)
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = max(Double(next() >> 11) * 0x1.0p-53, 1e-300)
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

