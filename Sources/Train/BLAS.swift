import COpenBLAS

/// Row-major single-precision matrix multiply on OpenBLAS:
/// C[m x n] = alpha * op(A) * op(B) + beta * C, op transposing when asked.
@inline(__always)
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// Threads OpenBLAS uses; the trainer sets it to the core count once at start-up.
public func setBLASThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
