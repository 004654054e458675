import Foundation
import COpenBLAS
import Support

/// Row-major single-precision matrix multiply on OpenBLAS:
/// C[m x n] = alpha * op(A) * op(B) + beta * C, op transposing when asked.
@inline(__always)
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}


/// sgemm split across `par.workers` threads by us, each part on single-threaded OpenBLAS: OpenBLAS's
/// own pool spins (sched_yield) between calls and fights our elementwise threads, which
/// costs more than it gains on the U-Net's many mid-sized products. Splits the larger of
/// m and n; small products run inline.
/// Multiply-adds above which OpenBLAS threads one product itself (measured: 2^30 is
/// best for unet_128/unet_256 on 2 cores, docs/benchmarks.md).
let bigProduct = 1 << 30

func parallelSgemm(par: Parallelism, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let work = m * n * k
    let cores = par.workers
    if cores > 1, work >= bigProduct {
        // Large products: OpenBLAS's own threading packs each panel once and wins here.
        openblas_set_num_threads(Int32(cores))
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        openblas_set_num_threads(1)
        return
    }
    // Everything else runs on single-threaded OpenBLAS (set here, so no caller has to).
    if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    guard cores > 1, work >= 1 << 20, max(m, n) >= 2 * cores else {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    if n >= m {
        // Columns of op(B) and C.
        DispatchQueue.concurrentPerform(iterations: cores) { p in
            let j0 = n * p / cores, j1 = n * (p + 1) / cores
            guard j1 > j0 else { return }
            let bPart = transB ? b + j0 * ldb : b + j0
            sgemm(transA: transA, transB: transB, m: m, n: j1 - j0, k: k, a: a, lda: lda, b: bPart, ldb: ldb,
                  beta: beta, c: c + j0, ldc: ldc)
        }
    } else {
        // Rows of op(A) and C.
        DispatchQueue.concurrentPerform(iterations: cores) { p in
            let i0 = m * p / cores, i1 = m * (p + 1) / cores
            guard i1 > i0 else { return }
            let aPart = transA ? a + i0 : a + i0 * lda
            sgemm(transA: transA, transB: transB, m: i1 - i0, n: n, k: k, a: aPart, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c + i0 * ldc, ldc: ldc)
        }
    }
}
