import Testing
import Support
@testable import Model

/// The two matrix-product libraries behind `Gemm`: each against direct loops, on every
/// path `multiply` takes (one call, split across threads by us by columns or by rows),
/// and `auto` resolved from the CPU's flags.
@Suite struct GemmTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.uniform(-1, 1)) }
    }

    /// (m, n, k): inline (under 2^20 multiply-adds), split by columns and by rows across two
    /// threads, and with the transposes the convolutions use; against float64 loops.
    @Test(arguments: [(7, 9, 5), (64, 256, 128), (256, 64, 128)], [GemmEngine.openblas, .onednn, .portable])
    func multiplyMatchesDirectLoops(_ shape: (Int, Int, Int), engine: GemmEngine) {
        let (m, n, k) = shape
        let gemm = Gemm(engine, par: Parallelism(workers: 2))
        #expect(gemm.engine == engine)
        for (transA, transB) in [(false, false), (true, false), (false, true)] {
            let a = Self.random(m * k, seed: 1), b = Self.random(k * n, seed: 2)
            let c0 = Self.random(m * n, seed: 3)
            for beta: Float in [0, 1] {
                var c = c0
                gemm.multiply(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: transA ? m : k,
                              b: b, ldb: transB ? k : n, beta: beta, c: &c, ldc: n)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let x = transA ? a[p * m + i] : a[i * k + p], y = transB ? b[j * k + p] : b[p * n + j]
                            s += Double(x) * Double(y)
                        }
                        worst = max(worst, abs(Double(c[i * n + j]) - (s + Double(beta) * Double(c0[i * n + j]))))
                    }
                }
                #expect(worst < 1e-4, "\(engine) \(shape) transA \(transA) transB \(transB) beta \(beta): \(worst)")
            }
        }
    }

    /// A product of the largest layers' size (2^30 multiply-adds), split across two threads:
    /// the engines agree.
    @Test func bigProductsAgree() {
        let m = 1024, n = 1024, k = 1024
        let a = Self.random(m * k, seed: 4), b = Self.random(k * n, seed: 5)
        var results: [[Float]] = []
        for engine in [GemmEngine.openblas, .onednn, .portable] {
            var c = [Float](repeating: 0, count: m * n)
            Gemm(engine, par: Parallelism(workers: 2)).multiply(transA: false, transB: true, m: m, n: n, k: k, a: a, lda: k,
                                                                b: b, ldb: k, beta: 0, c: &c, ldc: n)
            results.append(c)
        }
        for other in results.dropFirst() {
            let worst = zip(results[0], other).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
            #expect(worst < 1e-3, "sums of 1024 products of [-1, 1): \(worst)")
        }
    }

    @Test func autoPicksByTheCPUsFlags() {
        let avx512 = CPUFeatures(cpuinfo: "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw\n")
        let avx2 = CPUFeatures(cpuinfo: "flags\t\t: fpu sse2 avx avx2 fma\n")
        #expect(avx512.hasAVX512F && !avx2.hasAVX512F && avx2.hasAVX2FMA)
        #expect(GemmEngine.auto.resolved(on: avx512) == .onednn)
        #expect(GemmEngine.auto.resolved(on: avx2) == .openblas)
        #expect(GemmEngine.auto.resolved(on: CPUFeatures(flags: [])) == .openblas)
        for engine in [GemmEngine.openblas, .onednn, .portable] {
            #expect(engine.resolved(on: avx512) == engine && engine.resolved(on: avx2) == engine)
        }
        #expect(Gemm(.auto, par: .allCores, cpu: avx512).engine == .onednn)
    }

    /// The portable path's promise, which makes `--deterministic` hold across hosts: every
    /// element is the float sum over k in order from 0, one fused multiply-add per step
    /// (correctly rounded: the same bits from any FMA unit or libm), then beta C added, bit
    /// for bit the scalar loop below, whatever the shape's edges (short row blocks, partial lanes,
    /// several panels), the transposes, and however `Gemm` splits the product over threads.
    @Test func portableIsTheFixedOrderSumBitForBit() {
        func reference(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ b: [Float],
                       _ beta: Float, _ c: [Float]) -> [Float] {
            var out = c
            for i in 0..<m {
                for j in 0..<n {
                    var acc: Float = 0
                    for p in 0..<k {
                        let x = transA ? a[p * m + i] : a[i * k + p], y = transB ? b[j * k + p] : b[p * n + j]
                        acc.addProduct(x, y)
                    }
                    out[i * n + j] = beta == 0 ? acc : beta * c[i * n + j] + acc
                }
            }
            return out
        }
        // (m, n, k): single lanes, partial blocks, K = 0, a panel boundary (n > 256 columns
        // at small k), and one big enough for Gemm to split across threads.
        for (m, n, k) in [(1, 1, 1), (5, 17, 3), (13, 40, 70), (3, 300, 9), (2, 5, 0), (64, 130, 200)] {
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                for beta: Float in [0, 1, 0.5] {
                    let a = Self.random(m * k, seed: 7), b = Self.random(k * n, seed: 8), c0 = Self.random(m * n, seed: 9)
                    let want = reference(transA, transB, m, n, k, a, b, beta, c0)
                    for workers in [1, 2, 3] {
                        var c = c0
                        Gemm(.portable, par: Parallelism(workers: workers)).multiply(
                            transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: transA ? m : k,
                            b: b, ldb: transB ? k : n, beta: beta, c: &c, ldc: n)
                        #expect(c.map(\.bitPattern) == want.map(\.bitPattern),
                                "(\(m), \(n), \(k)) transA \(transA) transB \(transB) beta \(beta), \(workers) threads")
                    }
                }
            }
        }
    }
}
