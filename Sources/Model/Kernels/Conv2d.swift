import Support

/// Conv2d 4x4, stride 2, padding 1, no bias (the U-Net's down-sampling): im2col + sgemm.
/// Weight [out, in, 4, 4] is the matrix [out, in*16]; activations are CNHW.
final class Conv2d {
    let inChannels: Int
    let outChannels: Int
    let weight: Parameter
    let par: Parallelism
    /// The library and threads of its matrix products.
    let gemm: Gemm

    init(name: String, inChannels: Int, outChannels: Int, gemm: Gemm = Gemm(.auto, par: .allCores)) {
        self.gemm = gemm
        par = gemm.par
        self.inChannels = inChannels
        self.outChannels = outChannels
        weight = Parameter(name: name, shape: [outChannels, inChannels, 4, 4])
    }

    /// out [outC, N, H/2, W/2] = conv(x [inC, N, H, W]).
    func forward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                 out: UnsafeMutablePointer<Float>, col: FloatBuffer) {
        let k = inChannels * 16, pixels = (height / 2) * (width / 2)
        let chunk = Im2Col.samplesPerChunk(rows: k, pixelsPerSample: pixels, batch: batch)
        col.ensure(k * chunk * pixels)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            let n1 = Swift.min(batch, n0 + chunk), cols = (n1 - n0) * pixels
            Im2Col.gather(x, channels: inChannels, batch: batch, height: height, width: width,
                          samples: n0..<n1, into: col.pointer, par: par)
            gemm.multiply(transA: false, transB: false, m: outChannels, n: cols, k: k,
                  a: weight.value.pointer, lda: k, b: col.pointer, ldb: cols,
                  beta: 0, c: out + n0 * pixels, ldc: batch * pixels)
        }
    }

    /// Accumulates dW from (x, dOut); writes dX (overwritten) when asked.
    func backward(_ x: UnsafePointer<Float>, dOut: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>?,
                  batch: Int, height: Int, width: Int, col: FloatBuffer) {
        let k = inChannels * 16, pixels = (height / 2) * (width / 2)
        let chunk = Im2Col.samplesPerChunk(rows: k, pixelsPerSample: pixels, batch: batch)
        col.ensure(k * chunk * pixels)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            let n1 = Swift.min(batch, n0 + chunk), cols = (n1 - n0) * pixels
            Im2Col.gather(x, channels: inChannels, batch: batch, height: height, width: width,
                          samples: n0..<n1, into: col.pointer, par: par)
            gemm.multiply(transA: false, transB: true, m: outChannels, n: k, k: cols,
                  a: dOut + n0 * pixels, lda: batch * pixels, b: col.pointer, ldb: cols,
                  beta: 1, c: weight.grad.pointer, ldc: k)
            guard let dX else { continue }
            gemm.multiply(transA: true, transB: false, m: k, n: cols, k: outChannels,
                  a: weight.value.pointer, lda: k, b: dOut + n0 * pixels, ldb: batch * pixels,
                  beta: 0, c: col.pointer, ldc: cols)
            Im2Col.scatter(col.pointer, channels: inChannels, batch: batch, height: height, width: width,
                           samples: n0..<n1, into: dX, par: par)
        }
    }
}
