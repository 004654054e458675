import Foundation
import Support

extension UNetConfig {
    /// Floating-point operations of one training step on `batch` images of `size` x `size`:
    /// every convolution and transposed convolution as the matrix product it is (2 FLOPs
    /// per multiply-add), forward plus backward (weight and input gradients each cost a
    /// forward; the first convolution needs no input gradient). BatchNorm, activations and
    /// the optimiser are left out (a few percent).
    public func trainingFlops(batch n: Int, size: Int) -> Double {
        var total = 0.0
        var side = Double(size)
        for i in 0..<numDowns {
            let c = channels(level: i)
            let upIn = i == numDowns - 1 ? c.inner : 2 * c.inner
            let pixels = (side / 2) * (side / 2) * Double(n)  // the level's conv output, its convT input
            let down = 2 * Double(c.inner) * Double(c.input * 16) * pixels
            let up = 2 * Double(c.outer * 16) * Double(upIn) * pixels
            total += down * (i == 0 ? 2 : 3) + up * 3
            side /= 2
        }
        return total
    }
}

/// The host's single-precision peak, from what the CPU reports: cores x FMA units (2 per
/// core on every x86 core since Haswell) x SIMD lanes (16 with AVX-512, 8 with AVX2/FMA,
/// 4 otherwise) x 2 FLOPs per FMA x clock. An estimate to compare achieved figures with.
public struct HostPeak: Sendable {
    public var cores: Int
    public var lanes: Int
    public var gigahertz: Double
    public var model: String
    public var flags: String

    public var gflops: Double { Double(cores) * 2 * Double(lanes) * 2 * gigahertz }

    public static func current(cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> HostPeak {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            for line in info.split(separator: "\n") where line.hasPrefix(name) {
                return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
            }
            return nil
        }
        let flags = " " + (field("flags") ?? "") + " "
        let lanes = flags.contains(" avx512f ") ? 16 : (flags.contains(" avx2 ") && flags.contains(" fma ") ? 8 : 4)
        let mhz = Double(field("cpu MHz") ?? "") ?? 2000
        let simd = ["avx512f", "avx2", "fma"].filter { flags.contains(" \($0) ") }.joined(separator: " ")
        return HostPeak(cores: cores, lanes: lanes, gigahertz: mhz / 1000, model: field("model name") ?? "?", flags: simd)
    }
}

/// The rate this host reaches on a large square product with the engine and threads the
/// model uses: the practical ceiling beside `HostPeak`'s estimate (which takes the clock
/// `/proc/cpuinfo` reports, below the real one on hosts that boost: an AVX-512 Xeon VM
/// reported 2.1 GHz while `dnnl_sgemm` ran at 304 GFLOP/s on two cores, above the
/// estimate's 268.8).
public enum DenseGemmRate {
    /// GFLOP/s of C = A x B, n x n x n, best of `reps` after one untimed product, and the n
    /// it measured at. The side starts at 256 and doubles up to `maxN` while one product
    /// takes under `growUntilSeconds`: every library (and the portable kernel in a release
    /// build) reaches 2048, where the figure is stable, while an unoptimised debug build of
    /// the portable kernel (about 0.2 GFLOP/s) stops early instead of spending minutes.
    public static func measure(_ gemm: Gemm, maxN: Int = 2048, reps: Int = 3, growUntilSeconds: Double = 0.25) -> (gflops: Double, n: Int) {
        var n = Swift.min(256, maxN)
        while n < maxN && Product(n).seconds(gemm) < growUntilSeconds { n = Swift.min(2 * n, maxN) }
        let product = Product(n)
        _ = product.seconds(gemm)
        var best = Double.infinity
        for _ in 0..<Swift.max(reps, 1) { best = Swift.min(best, product.seconds(gemm)) }
        return (2 * Double(n) * Double(n) * Double(n) / best / 1e9, n)
    }

    /// Square operands of side n with fixed, non-trivial values.
    private struct Product {
        let n: Int
        let a: [Float], b: [Float]
        init(_ n: Int) {
            self.n = n
            a = (0..<(n * n)).map { Float($0 % 17) * 0.01 }
            b = (0..<(n * n)).map { Float($0 % 13) * 0.02 }
        }

        func seconds(_ gemm: Gemm) -> Double {
            var c = [Float](repeating: 0, count: n * n)
            let clock = Stopwatch()
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                        gemm.multiply(transA: false, transB: false, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
                    }
                }
            }
            return clock.seconds
        }
    }
}
