import Testing
import Model

@Suite struct BLASTests {
    /// Each library's own entry point (OpenBLAS's `sgemm`, oneDNN's `dnnlSgemm`) against direct loops.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)], [GemmEngine.openblas, .onednn])
    func sgemmMatchesNaiveProduct(_ transposes: (Bool, Bool), engine: GemmEngine) {
        let (transA, transB) = transposes
        let m = 5, n = 7, k = 3
        let a = (0..<(m * k)).map { Float($0 % 5) - 1.5 }
        let b = (0..<(k * n)).map { Float($0 % 3) * 0.25 }
        var c = [Float](repeating: 1, count: m * n)
        func A(_ i: Int, _ p: Int) -> Float { transA ? a[p * m + i] : a[i * k + p] }
        func B(_ p: Int, _ j: Int) -> Float { transB ? b[j * k + p] : b[p * n + j] }
        if engine == .onednn {
            dnnlSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: a, lda: transA ? m : k,
                      b: b, ldb: transB ? k : n, beta: 0.5, c: &c, ldc: n)
        } else {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: a, lda: transA ? m : k,
                  b: b, ldb: transB ? k : n, beta: 0.5, c: &c, ldc: n)
        }
        for i in 0..<m {
            for j in 0..<n {
                let expected = 2 * (0..<k).reduce(Float(0)) { $0 + A(i, $1) * B($1, j) } + 0.5
                #expect(abs(c[i * n + j] - expected) < 1e-5)
            }
        }
    }
}
