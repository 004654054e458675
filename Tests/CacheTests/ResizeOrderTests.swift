import Foundation
import Ingest
import Support
import Testing
@testable import Cache

/// The vectorised width pass must sum exactly as PyTorch does per pixel (tap by tap from
/// 0, float32): compared bit for bit with a plain loop over the same weights.
@Suite struct ResizeOrderTests {
    @Test(arguments: [(720, 1280, 256), (257, 487, 256), (32, 244, 256), (97, 33, 64), (5, 13, 8)])
    func widthPassIsBitIdenticalToTapByTap(_ shape: (Int, Int, Int)) {
        let (h, w, s) = shape
        let resize = AntialiasResize(inputHeight: h, inputWidth: w, outputHeight: s, outputWidth: s)
        var rng = SeededRandom(seed: 3)
        var row = (0..<w).map { _ in Float(rng.uniform(0, 30)) }
        row += [Float](repeating: 0, count: resize.cols.stride)
        var fast = [Float](repeating: .nan, count: s)
        row.withUnsafeBufferPointer { r in fast.withUnsafeMutableBufferPointer { o in resize.horizontal(r.baseAddress!, into: o.baseAddress!) } }
        let axis = resize.cols
        for x in 0..<s {
            var acc: Float = 0
            for j in 0..<axis.counts[x] { acc += row[axis.starts[x] + j] * axis.weights[x * axis.stride + j] }
            #expect(acc.bitPattern == fast[x].bitPattern, "output \(x): \(acc) vs \(fast[x])")
        }
    }

    /// A whole plane (rows in transposed eights when shrinking, then fours and the
    /// remainder) equals width pass row by row, then the height pass. (19, 301, 37): widths
    /// that leave remainders after the eight-by-eight transposes and output groups.
    @Test(arguments: [(720, 1280, 256), (257, 487, 256), (7, 13, 8), (97, 33, 64), (19, 301, 37), (16, 1003, 100)])
    func planeResizeIsBitIdenticalToRowByRow(_ shape: (Int, Int, Int)) {
        let (h, w, s) = shape
        let resize = AntialiasResize(inputHeight: h, inputWidth: w, outputHeight: s, outputWidth: s)
        var rng = SeededRandom(seed: 4)
        let plane = (0..<(h * w)).map { _ in Float(rng.uniform(0, 30)) }
        var out = [Float](repeating: .nan, count: s * s), scratch: [Float] = []
        plane.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in resize.run(p, into: o, scratch: &scratch) } }
        var tmp = [Float](repeating: 0, count: h * s), expected = [Float](repeating: 0, count: s * s)
        var padded = [Float](repeating: 0, count: w + resize.cols.stride)
        for y in 0..<h {
            for x in 0..<w { padded[x] = plane[y * w + x] }
            padded.withUnsafeBufferPointer { r in tmp.withUnsafeMutableBufferPointer { t in resize.horizontal(r.baseAddress!, into: t.baseAddress! + y * s) } }
        }
        tmp.withUnsafeBufferPointer { t in expected.withUnsafeMutableBufferPointer { e in resize.vertical(t.baseAddress!, into: e.baseAddress!) } }
        #expect(out.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// A NaN or infinity reaches only the outputs whose window holds it, as torchvision's
    /// loop does; every other output keeps its finite value (the blocks' 0 * NaN would not).
    @Test func nonFiniteInputsStayInTheirWindows() {
        let (h, w, s) = (9, 40, 8)
        let resize = AntialiasResize(inputHeight: h, inputWidth: w, outputHeight: h, outputWidth: s)
        var plane = [Float](repeating: 1, count: h * w)
        plane[2 * w + 3] = .nan            // row 2, column 3
        plane[6 * w + 30] = .infinity      // row 6, column 30 (the single-row tail is rows 8)
        var out = [Float](repeating: 0, count: h * s), scratch: [Float] = []
        plane.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in resize.run(p, into: o, scratch: &scratch) } }
        let axis = resize.cols
        for y in 0..<h {
            for x in 0..<s {
                let window = axis.starts[x]..<(axis.starts[x] + axis.counts[x])
                let polluted = (y == 2 && window.contains(3)) || (y == 6 && window.contains(30))
                #expect(out[y * s + x].isFinite == !polluted, "row \(y) output \(x): \(out[y * s + x])")
                if !polluted { #expect(abs(out[y * s + x] - 1) < 1e-6) }
            }
        }
    }
}
