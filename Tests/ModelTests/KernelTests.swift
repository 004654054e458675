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

    @Test(arguments: [(3, 5, 2, 6, 10), (2, 4, 3, 2, 2), (4, 3, 1, 8, 4)])
    func convMatchesDirectLoops(_ p: (Int, Int, Int, Int, Int)) throws {
        let (cin, cout, n, h, w) = p
        let conv = Conv2d(name: "w", inChannels: cin, outChannels: cout)
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

    @Test func convTransposeIsTheAdjointOfConv() throws {
        let (cin, cout, n, h, w) = (3, 4, 2, 4, 6)  // convT maps [cout, n, h/2, w/2] -> [cin, n, h, w]
        let conv = Conv2d(name: "w", inChannels: cin, outChannels: cout)
        let convT = ConvTranspose2d(name: "w", biasName: "b", inChannels: cout, outChannels: cin)
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
}
