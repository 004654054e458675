import Support

/// ConvTranspose2d 4x4, stride 2, padding 1 (the U-Net's up-sampling), bias optional:
/// sgemm to columns + col2im. Weight [in, out, 4, 4] is the matrix [in, out*16];
/// activations are CNHW. It is exactly the adjoint of `Conv2d`.
final class ConvTranspose2d {
    let inChannels: Int
    let outChannels: Int
    let weight: Parameter
    let par: Parallelism
    /// The library and threads of its matrix products.
    let gemm: Gemm
    let bias: Parameter?

    init(name: String, biasName: String?, inChannels: Int, outChannels: Int, gemm: Gemm = Gemm(.auto, par: .allCores)) {
        self.gemm = gemm
        par = gemm.par
        self.inChannels = inChannels
        self.outChannels = outChannels
        weight = Parameter(name: name, shape: [inChannels, outChannels, 4, 4])
        bias = biasName.map { Parameter(name: $0, shape: [outChannels]) }
    }

    /// out [outC, N, 2h, 2w] = convT(x [inC, N, h, w]).
    func forward(_ x: UnsafePointer<Float>, batch: Int, height h: Int, width w: Int,
                 out: UnsafeMutablePointer<Float>, col: FloatBuffer) {
        let rows = outChannels * 16, pixels = h * w
        let outPlane = batch * 4 * pixels
        let chunk = Im2Col.samplesPerChunk(rows: rows, pixelsPerSample: pixels, batch: batch)
        col.ensure(rows * chunk * pixels)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            let n1 = Swift.min(batch, n0 + chunk), cols = (n1 - n0) * pixels
            gemm.multiply(transA: true, transB: false, m: rows, n: cols, k: inChannels,
                  a: weight.value.pointer, lda: rows, b: x + n0 * pixels, ldb: batch * pixels,
                  beta: 0, c: col.pointer, ldc: cols)
            Im2Col.scatter(col.pointer, channels: outChannels, batch: batch, height: 2 * h, width: 2 * w,
                           samples: n0..<n1, into: out, par: par)
        }
        if let bias {
            for c in 0..<outChannels {
                let b = bias.value[c], plane = out + c * outPlane
                for i in 0..<outPlane { plane[i] += b }
            }
        }
    }

    /// Accumulates dW (and dBias) from (x, dOut); writes dX (overwritten).
    func backward(_ x: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                  batch: Int, height h: Int, width w: Int, col: FloatBuffer) {
        let rows = outChannels * 16, pixels = h * w
        let chunk = Im2Col.samplesPerChunk(rows: rows, pixelsPerSample: pixels, batch: batch)
        col.ensure(rows * chunk * pixels)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            let n1 = Swift.min(batch, n0 + chunk), cols = (n1 - n0) * pixels
            Im2Col.gather(dOut, channels: outChannels, batch: batch, height: 2 * h, width: 2 * w,
                          samples: n0..<n1, into: col.pointer, par: par)
            gemm.multiply(transA: false, transB: true, m: inChannels, n: rows, k: cols,
                  a: x + n0 * pixels, lda: batch * pixels, b: col.pointer, ldb: cols,
                  beta: 1, c: weight.grad.pointer, ldc: rows)
            gemm.multiply(transA: false, transB: false, m: inChannels, n: cols, k: rows,
                  a: weight.value.pointer, lda: rows, b: col.pointer, ldb: cols,
                  beta: 0, c: dX + n0 * pixels, ldc: batch * pixels)
        }
        if let bias {
            let outPlane = batch * 4 * pixels
            for c in 0..<outChannels {
                var s = 0.0
                let plane = dOut + c * outPlane
                for i in 0..<outPlane { s += Double(plane[i]) }
                bias.grad[c] += Float(s)
            }
        }
    }
}
