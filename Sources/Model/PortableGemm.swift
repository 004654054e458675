/// The portable product path (`--gemm portable`, the one `--deterministic` pins):
/// C = op(A) op(B) + beta C computed by our own code, each element's sum in one fixed order
/// (k = 0, 1, ..., K-1 in float from 0, each step one fused multiply-add, then beta C
/// added): no library, no CPU dispatch, no split of K. A fused multiply-add is correctly
/// rounded by definition, so it gives the same bits whether the CPU's FMA unit or libm's
/// fmaf computes it. So every x86-64 host (AVX2 or AVX-512, any core count) and any split
/// of rows or columns across threads gives the same bits. Slower than the libraries: it
/// is the price of those bits (docs/benchmarks.md).
///
/// Blocked for the cache: op(B) is packed a panel of `panelColumns` at a time ([K, w],
/// rows padded to 16 lanes), op(A) four rows at a time when transposed; each 4 x 16 block
/// of C keeps its four accumulators in registers over all of K.
enum PortableGemm {
    typealias Lanes = SIMD16<Float>
    static let lanes = 16
    static let rowBlock = 4

    /// Panel width: the packed op(B) panel stays near 256 KB, 16 to 256 columns.
    static func panelColumns(k: Int, n: Int) -> Int {
        let fit = Swift.max(lanes, (65_536 / Swift.max(k, 1)) / lanes * lanes)
        return Swift.min(Swift.min(fit, 256), (n + lanes - 1) / lanes * lanes)
    }

    @_optimize(speed)
    static func multiply(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        let nb = panelColumns(k: k, n: n)
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, k * nb))
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, rowBlock * k))
        defer { panel.deallocate(); packedA.deallocate() }
        var j0 = 0
        while j0 < n {
            let w = Swift.min(nb, n - j0), wPad = (w + lanes - 1) / lanes * lanes
            packPanel(transB: transB, b: b, ldb: ldb, k: k, columns: j0..<(j0 + w), rowStride: wPad, into: panel)
            var i0 = 0
            while i0 < m {
                let h = Swift.min(rowBlock, m - i0)
                // Row r of op(A), k-contiguous: A's own row, or packed from its column. Short
                // blocks repeat their last row (computed, never stored).
                func row(_ r: Int) -> UnsafePointer<Float> {
                    let i = i0 + Swift.min(r, h - 1)
                    guard transA else { return a + i * lda }
                    let dst = packedA + r * k
                    for kk in 0..<k { dst[kk] = a[kk * lda + i] }
                    return UnsafePointer(dst)
                }
                let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
                var jv = 0
                while jv < w {
                    block(r0, r1, r2, r3, panel: panel + jv, rowStride: wPad, k: k,
                          beta: beta, c: c + i0 * ldc + j0 + jv, ldc: ldc, height: h, width: Swift.min(lanes, w - jv))
                    jv += lanes
                }
                i0 += rowBlock
            }
            j0 += nb
        }
    }

    /// op(B)[0..<k, columns] into `panel` [k, rowStride] (zeros past the columns).
    @_optimize(speed)
    static func packPanel(transB: Bool, b: UnsafePointer<Float>, ldb: Int, k: Int, columns: Range<Int>,
                          rowStride: Int, into panel: UnsafeMutablePointer<Float>) {
        let w = columns.count
        for kk in 0..<k {
            let row = panel + kk * rowStride
            if transB {
                for j in 0..<w { row[j] = b[(columns.lowerBound + j) * ldb + kk] }
            } else {
                (row).update(from: b + kk * ldb + columns.lowerBound, count: w)
            }
            if w < rowStride { (row + w).update(repeating: 0, count: rowStride - w) }
        }
    }

    /// One block of C: `height` rows (at most 4) by `width` columns (at most 16).
    @_optimize(speed) @inline(__always)
    static func block(_ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
                      _ a3: UnsafePointer<Float>, panel: UnsafePointer<Float>, rowStride: Int, k: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, height: Int, width: Int) {
        var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
        var p = panel
        for kk in 0..<k {
            let bv = UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
            s0.addProduct(Lanes(repeating: a0[kk]), bv)
            s1.addProduct(Lanes(repeating: a1[kk]), bv)
            s2.addProduct(Lanes(repeating: a2[kk]), bv)
            s3.addProduct(Lanes(repeating: a3[kk]), bv)
            p += rowStride
        }
        store(s0, beta: beta, c, width)
        if height > 1 { store(s1, beta: beta, c + ldc, width) }
        if height > 2 { store(s2, beta: beta, c + 2 * ldc, width) }
        if height > 3 { store(s3, beta: beta, c + 3 * ldc, width) }
    }

    /// c = sum (beta 0) or beta * c + sum, for the first `width` lanes.
    @_optimize(speed) @inline(__always)
    static func store(_ s: Lanes, beta: Float, _ c: UnsafeMutablePointer<Float>, _ width: Int) {
        if beta == 0 {
            for l in 0..<width { c[l] = s[l] }
        } else {
            for l in 0..<width { c[l] = beta * c[l] + s[l] }
        }
    }
}
