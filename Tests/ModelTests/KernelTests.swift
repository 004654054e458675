import Foundation
import Support
import Testing
import TestSupport
@testable import Model

/// The convolution kernels against direct loops, on non-square images and several
/// samples: forward, and backward's dW and dX element by element; ConvTranspose2d as
/// conv's adjoint <Ax, y> = <x, A'y>.
@Suite struct KernelTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Float(rng.uniform(-1, 1)) }
    }

    /// Direct Conv2d 4x4/2/1 on CNHW: out[o, n, y, x] = sum w[o, c, kh, kw] * in[c, n, 2y-1+kh, 2x-1+kw].
    static func directConv(_ x: [Float], _ w: [Float], cin: Int, cout: Int, n: Int, h: Int, wd: Int) -> [Float] {
        let ho = h / 2, wo = wd / 2
        var out = [Float](repeating: 0, count: cout * n * ho * wo)
        for o in 0..<cout { for s in 0..<n { for y in 0..<ho { for xo in 0..<wo {
            var acc = 0.0
            for c in 0..<cin { for kh in 0..<4 { for kw in 0..<4 {
                let iy = 2 * y - 1 + kh, ix = 2 * xo - 1 + kw
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                acc += Double(w[((o * cin + c) * 4 + kh) * 4 + kw]) * Double(x[((c * n + s) * h + iy) * wd + ix])
            } } }
            out[((o * n + s) * ho + y) * wo + xo] = Float(acc)
        } } } }
        return out
    }

    /// Direct backward of that conv for dOut g: dW[o, c, kh, kw] = sum g[o, n, y, x] * in[c, n, 2y-1+kh, 2x-1+kw]
    /// and dX[c, n, iy, ix] = sum g[o, n, y, x] * w[o, c, kh, kw] over the taps that read it.
    static func directConvBackward(_ x: [Float], _ w: [Float], _ g: [Float], cin: Int, cout: Int, n: Int, h: Int, wd: Int) -> (dW: [Float], dX: [Float]) {
        let ho = h / 2, wo = wd / 2
        var dW = [Double](repeating: 0, count: w.count), dX = [Double](repeating: 0, count: x.count)
        for o in 0..<cout { for s in 0..<n { for y in 0..<ho { for xo in 0..<wo {
            let gv = Double(g[((o * n + s) * ho + y) * wo + xo])
            for c in 0..<cin { for kh in 0..<4 { for kw in 0..<4 {
                let iy = 2 * y - 1 + kh, ix = 2 * xo - 1 + kw
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                let wi = ((o * cin + c) * 4 + kh) * 4 + kw, xi = ((c * n + s) * h + iy) * wd + ix
                dW[wi] += gv * Double(x[xi])
                dX[xi] += gv * Double(w[wi])
            } } }
        } } } }
        return (dW.map(Float.init), dX.map(Float.init))
    }

    /// Every product path (both libraries and the portable one) runs every kernel test.
    static let engines: [GemmEngine] = [.openblas, .onednn, .portable]

    /// Widths 36 and 38: rows of 18 and 19 half-pixels take the eight-wide copies and adds
    /// of im2col/col2im and their remainders.
    @Test(arguments: [(3, 5, 2, 6, 10), (2, 4, 3, 2, 2), (4, 3, 1, 8, 4), (2, 3, 2, 4, 36), (1, 2, 1, 6, 38)], engines)
    func convMatchesDirectLoops(_ p: (Int, Int, Int, Int, Int), engine: GemmEngine) throws {
        let (cin, cout, n, h, w) = p
        let conv = Conv2d(name: "w", inChannels: cin, outChannels: cout, gemm: Gemm(engine, par: .allCores))
        #expect(conv.gemm.engine == engine)
        conv.weight.value.copy(from: Self.random(conv.weight.count, seed: 1))
        let x = Self.random(cin * n * h * w, seed: 2)
        var out = [Float](repeating: 0, count: cout * n * (h / 2) * (w / 2))
        let col = FloatBuffer(count: 0)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            conv.forward(xp.baseAddress!, batch: n, height: h, width: w, out: op.baseAddress!, col: col)
        } }
        let expected = Self.directConv(x, conv.weight.value.array, cin: cin, cout: cout, n: n, h: h, wd: w)
        #expect(maxAbsoluteError(out, expected) < 1e-5)

        // Backward: dW and dX element by element against the direct loops.
        let g = Self.random(out.count, seed: 3)
        var dX = [Float](repeating: 0, count: x.count)
        conv.weight.grad.zero()
        x.withUnsafeBufferPointer { xp in g.withUnsafeBufferPointer { gp in dX.withUnsafeMutableBufferPointer { dp in
            conv.backward(xp.baseAddress!, dOut: gp.baseAddress!, dX: dp.baseAddress!, batch: n, height: h, width: w, col: col)
        } } }
        let direct = Self.directConvBackward(x, conv.weight.value.array, g, cin: cin, cout: cout, n: n, h: h, wd: w)
        #expect(maxAbsoluteError(conv.weight.grad.array, direct.dW) < 1e-5)
        #expect(maxAbsoluteError(dX, direct.dX) < 1e-5)
    }

    /// With each engine a conv's forward is, bit for bit, its im2col columns times the
    /// weights on that engine's library. Where the two libraries round alike (on some
    /// AVX-512 hosts they agree on every element) this alone cannot tell them apart: that
    /// each engine calls its own library, and never the other, is proved through the
    /// dynamic linker in `CLITests.eachEngineBindsOnlyItsOwnLibrary`, on every host.
    @Test func eachEngineIsItsLibrarysOwnProduct() throws {
        // 16 x 128 x 128 = 2^18 multiply-adds: one call of ours, and one thread of OpenBLAS's
        // whatever its global thread count (it threads only above 2^18), so bits are reproducible.
        let (cin, cout, n, h, w) = (8, 16, 2, 16, 16)
        let k = cin * 16, cols = n * (h / 2) * (w / 2)
        let x = Self.random(cin * n * h * w, seed: 21), weights = Self.random(cout * k, seed: 22)
        let col = FloatBuffer(count: k * cols)
        x.withUnsafeBufferPointer { xp in
            Im2Col.gather(xp.baseAddress!, channels: cin, batch: n, height: h, width: w, samples: 0..<n, into: col.pointer, par: .allCores)
        }
        var byOpenBLAS = [Float](repeating: 0, count: cout * cols), byOneDNN = byOpenBLAS
        sgemm(transA: false, transB: false, m: cout, n: cols, k: k, a: weights, lda: k, b: col.pointer, ldb: cols,
              beta: 0, c: &byOpenBLAS, ldc: cols)
        dnnlSgemm(transA: false, transB: false, m: cout, n: cols, k: k, a: weights, lda: k, b: col.pointer, ldb: cols,
                  beta: 0, c: &byOneDNN, ldc: cols)
        #expect(maxRelativeError(byOpenBLAS, byOneDNN) < 1e-5)
        for (engine, expected) in [(GemmEngine.openblas, byOpenBLAS), (.onednn, byOneDNN)] {
            let conv = Conv2d(name: "w", inChannels: cin, outChannels: cout, gemm: Gemm(engine, par: .allCores))
            conv.weight.value.copy(from: weights)
            var out = [Float](repeating: 0, count: cout * cols)
            x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
                conv.forward(xp.baseAddress!, batch: n, height: h, width: w, out: op.baseAddress!, col: FloatBuffer(count: 0))
            } }
            let mismatches = zip(out, expected).filter { $0 != $1 }.count
            #expect(mismatches == 0, "\(engine): \(mismatches) of \(out.count) elements differ from \(engine)'s own product")
        }
    }

    @Test(arguments: engines)
    func convTransposeIsTheAdjointOfConv(engine: GemmEngine) throws {
        let (cin, cout, n, h, w) = (3, 4, 2, 4, 6)  // convT maps [cout, n, h/2, w/2] -> [cin, n, h, w]
        let conv = Conv2d(name: "w", inChannels: cin, outChannels: cout, gemm: Gemm(engine, par: .allCores))
        let convT = ConvTranspose2d(name: "w", biasName: "b", inChannels: cout, outChannels: cin, gemm: Gemm(engine, par: .allCores))
        #expect(conv.gemm.engine == engine && convT.gemm.engine == engine)
        let weights = Self.random(cout * cin * 16, seed: 4)
        conv.weight.value.copy(from: weights)   // [cout, cin, 4, 4] is convT's [in=cout, out=cin, 4, 4]
        convT.weight.value.copy(from: weights)
        let bias = Self.random(cin, seed: 5)
        convT.bias?.value.copy(from: bias)
        let x = Self.random(cin * n * h * w, seed: 6), y = Self.random(cout * n * (h / 2) * (w / 2), seed: 7)
        var cx = [Float](repeating: 0, count: y.count), ty = [Float](repeating: 0, count: x.count)
        let col = FloatBuffer(count: 0)
        x.withUnsafeBufferPointer { xp in cx.withUnsafeMutableBufferPointer { op in
            conv.forward(xp.baseAddress!, batch: n, height: h, width: w, out: op.baseAddress!, col: col)
        } }
        y.withUnsafeBufferPointer { yp in ty.withUnsafeMutableBufferPointer { op in
            convT.forward(yp.baseAddress!, batch: n, height: h / 2, width: w / 2, out: op.baseAddress!, col: col)
        } }
        // Remove the bias, then <conv x, y> = <x, convT y>.
        for c in 0..<cin { for i in 0..<(n * h * w) { ty[c * n * h * w + i] -= bias[c] } }
        let a = zip(cx, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let b = zip(x, ty).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(a - b) < 1e-4 * max(1, abs(a)))
    }

    /// ConvTranspose2d forward and backward (dX, dW, dBias) element by element against
    /// direct loops: out[o, n, 2y-1+kh, 2x-1+kw] += w[c, o, kh, kw] * in[c, n, y, x].
    @Test(arguments: [(4, 3, 2, 3, 5), (2, 3, 1, 2, 19)], engines)
    func convTransposeMatchesDirectLoops(_ shape: (Int, Int, Int, Int, Int), engine: GemmEngine) throws {
        let (cin, cout, n, h, w) = shape  // input [cin, n, h, w] -> [cout, n, 2h, 2w]
        let convT = ConvTranspose2d(name: "w", biasName: "b", inChannels: cin, outChannels: cout, gemm: Gemm(engine, par: .allCores))
        #expect(convT.gemm.engine == engine)
        let weights = Self.random(cin * cout * 16, seed: 11), bias = Self.random(cout, seed: 12)
        convT.weight.value.copy(from: weights)
        convT.bias?.value.copy(from: bias)
        let x = Self.random(cin * n * h * w, seed: 13)
        let (H, W) = (2 * h, 2 * w)
        var direct = [Double](repeating: 0, count: cout * n * H * W)
        for o in 0..<cout { for s in 0..<n { for p in 0..<(H * W) { direct[(o * n + s) * H * W + p] = Double(bias[o]) } } }
        func taps(_ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
            for c in 0..<cin { for o in 0..<cout { for s in 0..<n { for y in 0..<h { for xx in 0..<w { for kh in 0..<4 { for kw in 0..<4 {
                let oy = 2 * y - 1 + kh, ox = 2 * xx - 1 + kw
                guard oy >= 0, oy < H, ox >= 0, ox < W else { continue }
                body(c, o, s, y, xx, kh, kw, oy, ox)
            } } } } } } }
        }
        taps { c, o, s, y, xx, kh, kw, oy, ox in
            direct[((o * n + s) * H + oy) * W + ox] += Double(weights[((c * cout + o) * 4 + kh) * 4 + kw]) * Double(x[((c * n + s) * h + y) * w + xx])
        }
        var out = [Float](repeating: 0, count: direct.count)
        let col = FloatBuffer(count: 0)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            convT.forward(xp.baseAddress!, batch: n, height: h, width: w, out: op.baseAddress!, col: col)
        } }
        #expect(maxAbsoluteError(out, direct.map(Float.init)) < 1e-5)

        let g = Self.random(out.count, seed: 14)
        var dX = [Float](repeating: 0, count: x.count)
        convT.weight.grad.zero()
        convT.bias?.grad.zero()
        x.withUnsafeBufferPointer { xp in g.withUnsafeBufferPointer { gp in dX.withUnsafeMutableBufferPointer { dp in
            convT.backward(xp.baseAddress!, dOut: gp.baseAddress!, dX: dp.baseAddress!, batch: n, height: h, width: w, col: col)
        } } }
        var dW = [Double](repeating: 0, count: weights.count), dXd = [Double](repeating: 0, count: x.count)
        taps { c, o, s, y, xx, kh, kw, oy, ox in
            let gv = Double(g[((o * n + s) * H + oy) * W + ox])
            let wi = ((c * cout + o) * 4 + kh) * 4 + kw, xi = ((c * n + s) * h + y) * w + xx
            dW[wi] += gv * Double(x[xi])
            dXd[xi] += gv * Double(weights[wi])
        }
        let dB = (0..<cout).map { o in (0..<(n * H * W)).reduce(0.0) { $0 + Double(g[o * n * H * W + $1]) } }
        #expect(maxAbsoluteError(convT.weight.grad.array, dW.map(Float.init)) < 1e-5)
        #expect(maxAbsoluteError(dX, dXd.map(Float.init)) < 1e-5)
        #expect(maxAbsoluteError(try #require(convT.bias?.grad.array), dB.map(Float.init)) < 1e-5)
    }

    /// BatchNorm2d in training mode, forward and backward, against the textbook formulas in
    /// double: y = w (x - mean) / sqrt(var + eps) + b with the biased variance;
    /// dx = w / sigma (g - mean(g) - xhat mean(g xhat)), dw = sum g xhat, db = sum g; the
    /// running statistics move by 0.1 with the unbiased variance. Channel sizes below, at and
    /// off a multiple of the eight lanes the sums run in.
    @Test(arguments: [3, 40, 45])
    func batchNormMatchesItsFormulas(m: Int) throws {
        let channels = 3
        let bn = BatchNorm2d(prefix: "bn.", channels: channels)
        bn.weight.value.copy(from: Self.random(channels, seed: 21).map { 1 + $0 / 2 })
        bn.bias.value.copy(from: Self.random(channels, seed: 22))
        let x = Self.random(channels * m, seed: 23).map { $0 * 3 + 0.5 }
        let g = Self.random(channels * m, seed: 24)
        var y = [Float](repeating: 0, count: x.count), dX = [Float](repeating: 0, count: x.count)
        bn.weight.grad.zero(); bn.bias.grad.zero()
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in bn.forward(xp.baseAddress!, yp.baseAddress!, perChannel: m, training: true) } }
        x.withUnsafeBufferPointer { xp in g.withUnsafeBufferPointer { gp in dX.withUnsafeMutableBufferPointer { dp in
            bn.backward(xp.baseAddress!, dY: gp.baseAddress!, dX: dp.baseAddress!, perChannel: m)
        } } }
        for c in 0..<channels {
            let xs = (0..<m).map { Double(x[c * m + $0]) }, gs = (0..<m).map { Double(g[c * m + $0]) }
            let mean = xs.reduce(0, +) / Double(m)
            let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
            let sigma = (variance + 1e-5).squareRoot()
            let xhat = xs.map { ($0 - mean) / sigma }
            let w = Double(bn.weight.value[c]), b = Double(bn.bias.value[c])
            let gMean = gs.reduce(0, +) / Double(m), gxMean = zip(gs, xhat).map(*).reduce(0, +) / Double(m)
            for i in 0..<m {
                #expect(abs(Double(y[c * m + i]) - (w * xhat[i] + b)) < 1e-5)
                #expect(abs(Double(dX[c * m + i]) - w / sigma * (gs[i] - gMean - xhat[i] * gxMean)) < 1e-5)
            }
            #expect(abs(Double(bn.weight.grad[c]) - zip(gs, xhat).map(*).reduce(0, +)) < 1e-4)
            #expect(abs(Double(bn.bias.grad[c]) - gs.reduce(0, +)) < 1e-4)
            #expect(abs(Double(bn.runningMean.value[c]) - 0.1 * mean) < 1e-6)
            #expect(abs(Double(bn.runningVar.value[c]) - (0.9 + 0.1 * variance * Double(m) / Double(m - 1))) < 1e-5)
        }
    }

    /// `scatter` (col2im) overwrites its samples' planes with exactly what zeroing them and
    /// adding the columns term by term gave: each pixel's terms summed from 0 in the kernel's
    /// order (kernel row pairs kh, kh + 2; within one, kw 1 then 3 onto even pixels, kw 0 then
    /// 2 onto odd ones), bit for bit. The image starts as NaN, so a pixel left unwritten fails;
    /// other samples' planes stay as they were. Widths with and without eight-lane blocks,
    /// an odd width (its last pixel gets 0), a side under 2 (no columns: all 0), -0 terms (a
    /// zeroed sum turns them into +0) and NaN terms (one NaN, so no payload order matters).
    /// Shapes for both paths of `gather` and `scatter`: the table-driven one for planes up to
    /// 8x8 (`Im2Col.SmallPlane`, the largest here 8x8, odd sides too) and the row loops above.
    static let columnShapes = [(3, 3, 6, 7), (2, 2, 4, 38), (1, 3, 2, 2), (2, 2, 5, 20), (1, 1, 1, 3),
                               (2, 2, 8, 8), (1, 2, 7, 5), (2, 3, 10, 9), (2, 2, 16, 16)]

    /// `gather` (im2col) copies each patch pixel, bit for bit (-0 and NaN included), into
    /// its column, 0 in the padding; an odd width's last column counts as padding (as the
    /// row loops have always done: the U-Net's sides are even). Other samples' columns are
    /// not written.
    @Test(arguments: columnShapes)
    func gatherIsThePatchCopyBitForBit(_ shape: (Int, Int, Int, Int)) {
        let (channels, batch, h, w) = shape
        let ho = h / 2, wo = w / 2, samples = batch > 1 ? 1..<batch : 0..<batch
        let cols = samples.count * ho * wo
        var x = Self.random(channels * batch * h * w, seed: 43)
        for i in stride(from: 0, to: x.count, by: 7) { x[i] = -0.0 }
        for i in stride(from: 3, to: x.count, by: 29) { x[i] = .nan }
        var col = [Float](repeating: .infinity, count: Swift.max(1, channels * 16 * cols))
        x.withUnsafeBufferPointer { xp in col.withUnsafeMutableBufferPointer { cp in
            Im2Col.gather(xp.baseAddress!, channels: channels, batch: batch, height: h, width: w,
                          samples: samples, into: cp.baseAddress!, par: Parallelism(workers: 2))
        } }
        var differing = 0
        for c in 0..<channels {
            for (j, n) in samples.enumerated() {
                for kh in 0..<4 { for kw in 0..<4 { for oh in 0..<ho { for ow in 0..<wo {
                    let ih = 2 * oh - 1 + kh, iw = 2 * ow - 1 + kw
                    let expected: Float = ih >= 0 && ih < h && iw >= 0 && iw < 2 * wo ? x[((c * batch + n) * h + ih) * w + iw] : 0
                    let got = col[(c * 16 + kh * 4 + kw) * cols + (j * ho + oh) * wo + ow]
                    if got.bitPattern != expected.bitPattern { differing += 1 }
                } } } }
            }
        }
        #expect(differing == 0, "\(shape): \(differing) column entries differ from the patch copy")
    }

    @Test(arguments: columnShapes)
    func scatterIsTheZeroedSumBitForBit(_ shape: (Int, Int, Int, Int)) {
        let (channels, batch, h, w) = shape
        let ho = h / 2, wo = w / 2, samples = batch > 1 ? 1..<batch : 0..<batch
        let cols = samples.count * ho * wo
        var col = Self.random(Swift.max(1, channels * 16 * cols), seed: 41)
        for i in stride(from: 0, to: col.count, by: 7) { col[i] = -0.0 }
        for i in stride(from: 3, to: col.count, by: 29) { col[i] = .nan }
        var image = [Float](repeating: .nan, count: channels * batch * h * w)
        col.withUnsafeBufferPointer { cp in image.withUnsafeMutableBufferPointer { ip in
            Im2Col.scatter(cp.baseAddress!, channels: channels, batch: batch, height: h, width: w,
                           samples: samples, into: ip.baseAddress!, par: Parallelism(workers: 2))
        } }
        func term(_ c: Int, _ j: Int, _ kh: Int, _ kw: Int, _ oh: Int, _ ow: Int) -> Float {
            col[(c * 16 + kh * 4 + kw) * cols + (j * ho + oh) * wo + ow]
        }
        var differing = 0
        for c in 0..<channels {
            for n in 0..<batch {
                for ih in 0..<h {
                    for iw in 0..<w {
                        let got = image[((c * batch + n) * h + ih) * w + iw]
                        guard samples.contains(n) else { if !got.isNaN { differing += 1 }; continue }
                        let j = n - samples.lowerBound, i = iw / 2
                        var sum: Float = 0
                        if iw < 2 * wo {
                            for kh in stride(from: (ih + 1) & 1, to: 4, by: 2) {
                                let oh = (ih + 1 - kh) / 2
                                guard oh >= 0, oh < ho else { continue }
                                if iw % 2 == 0 {
                                    sum += term(c, j, kh, 1, oh, i)
                                    if i >= 1 { sum += term(c, j, kh, 3, oh, i - 1) }
                                } else {
                                    if i + 1 < wo { sum += term(c, j, kh, 0, oh, i + 1) }
                                    sum += term(c, j, kh, 2, oh, i)
                                }
                            }
                        }
                        if got.bitPattern != sum.bitPattern { differing += 1 }
                    }
                }
            }
        }
        #expect(differing == 0, "\(shape): \(differing) pixels differ from the zeroed sum")
    }

    /// The activations' backward passes against central differences of their forward.
    @Test func activationGradientsMatchFiniteDifferences() throws {
        let x = Self.random(64, seed: 31).map { $0 * 4 }.filter { abs($0) > 1e-2 }  // away from the kinks
        let par = Parallelism(workers: 2)
        func numeric(_ f: (Double) -> Double, _ v: Float) -> Double { let h = 1e-4; return (f(Double(v) + h) - f(Double(v) - h)) / (2 * h) }
        let ones = [Float](repeating: 1, count: x.count), zeros = [Float](repeating: 0, count: x.count)
        // LeakyReLU(0.2): the skip gradient is added before the slope applies.
        var y = [Float](repeating: 0, count: x.count), d = ones
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { Activations.leakyReLU(xp.baseAddress!, into: $0.baseAddress!, count: x.count, par: par) } }
        y.withUnsafeBufferPointer { yp in zeros.withUnsafeBufferPointer { zp in d.withUnsafeMutableBufferPointer {
            Activations.leakyReLUBackward(output: yp.baseAddress!, adding: zp.baseAddress!, to: $0.baseAddress!, count: x.count, par: par)
        } } }
        for i in x.indices { #expect(abs(Double(d[i]) - numeric({ $0 < 0 ? 0.2 * $0 : $0 }, x[i])) < 1e-6) }
        // ReLU.
        d = ones
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { Activations.relu(xp.baseAddress!, into: $0.baseAddress!, count: x.count, par: par) } }
        y.withUnsafeBufferPointer { yp in d.withUnsafeMutableBufferPointer { Activations.reluBackward(output: yp.baseAddress!, $0.baseAddress!, count: x.count, par: par) } }
        for i in x.indices { #expect(abs(Double(d[i]) - numeric({ max($0, 0) }, x[i])) < 1e-6) }
        // Sigmoid.
        y = x
        d = ones
        y.withUnsafeMutableBufferPointer { Activations.sigmoid($0.baseAddress!, count: x.count) }
        y.withUnsafeBufferPointer { yp in d.withUnsafeMutableBufferPointer { Activations.sigmoidBackward(output: yp.baseAddress!, $0.baseAddress!, count: x.count) } }
        for i in x.indices { #expect(abs(Double(d[i]) - numeric({ 1 / (1 + Foundation.exp(-$0)) }, x[i])) < 1e-5) }
    }
}
