import Foundation
import CDNNL
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


/// Row-major single-precision matrix multiply on oneDNN, same arguments as `sgemm`, on one
/// OpenMP thread (set on the calling thread first: OpenMP keeps the thread count per calling
/// thread, so this is no process-wide setting).
public func dnnlSgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    omp_set_num_threads(1)
    let t = CChar(UInt8(ascii: "T")), n0 = CChar(UInt8(ascii: "N"))
    let status = dnnl_sgemm(transA ? t : n0, transB ? t : n0, dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha,
                            a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc))
    // Only bad arguments fail, and the kernels derive theirs from the layer shapes.
    precondition(status == dnnl_success, "dnnl_sgemm(\(m), \(n), \(k)): status \(status.rawValue)")
}

/// The matrix product the convolution kernels call: the library (`GemmEngine`, resolved
/// for this CPU, never `.auto`) and the threads it may use, carried by value like
/// `Parallelism`.
public struct Gemm: Sendable, Equatable {
    public let engine: GemmEngine
    public let par: Parallelism

    public init(_ choice: GemmEngine, par: Parallelism, cpu: CPUFeatures = .current) {
        engine = choice.resolved(on: cpu)
        self.par = par
    }

    /// C[m x n] = op(A) * op(B) + beta * C on the chosen library and `par.workers` threads.
    ///
    /// Every product is split across the threads by us, each part on a single-threaded
    /// library call. The libraries' own pools keep spinning between calls (OpenBLAS's
    /// sched_yield loop, OpenMP's wait for oneDNN) and fight our elementwise threads
    /// (docs/benchmarks.md): oneDNN threading every product itself ran the small model at 98
    /// against 207 samples/s; handing it only the products above 2^30 multiply-adds made
    /// unet_256 steps 2-14 % slower; handing those to OpenBLAS's threads made eval 7 % slower
    /// and training no faster. Splits the larger of m and n; small products run inline.
    func multiply(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let cores = par.workers
        // One library thread per part (set here, so no caller has to).
        if engine == .openblas, openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
        guard cores > 1, m * n * k >= 1 << 20, max(m, n) >= 2 * cores else {
            product(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
            return
        }
        if n >= m {
            // Columns of op(B) and C.
            DispatchQueue.concurrentPerform(iterations: cores) { p in
                let j0 = n * p / cores, j1 = n * (p + 1) / cores
                guard j1 > j0 else { return }
                let bPart = transB ? b + j0 * ldb : b + j0
                product(transA: transA, transB: transB, m: m, n: j1 - j0, k: k, a: a, lda: lda, b: bPart, ldb: ldb,
                        beta: beta, c: c + j0, ldc: ldc)
            }
        } else {
            // Rows of op(A) and C.
            DispatchQueue.concurrentPerform(iterations: cores) { p in
                let i0 = m * p / cores, i1 = m * (p + 1) / cores
                guard i1 > i0 else { return }
                let aPart = transA ? a + i0 : a + i0 * lda
                product(transA: transA, transB: transB, m: i1 - i0, n: n, k: k, a: aPart, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c + i0 * ldc, ldc: ldc)
            }
        }
    }

    /// One single-threaded call into the library.
    private func product(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch engine {
        case .onednn:
            dnnlSgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c, ldc: ldc)
        case .openblas, .auto:
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        case .portable:
            PortableGemm.multiply(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                  beta: beta, c: c, ldc: ldc)
        }
    }
}
