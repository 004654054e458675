import Foundation
import Testing
@testable import Eval

@Suite struct DepthBinTests {
    /// Pixel-pooled rmse and abs_rel per ground-truth bin, worked out by hand; a bin with
    /// no pixels reports nil (null in the JSON), not a perfect 0.
    @Test func binsPoolPixelsAndLeaveEmptyBinsUnmeasured() throws {
        var acc = DepthBinAccumulator(width: 2, maxDepth: 6)
        // gt 1 m (pred 2), gt 1.5 m (pred 1.5), gt 5 m (pred 4), gt 0 (invalid, ignored), gt 9 m (into the last bin, pred 9).
        let gt: [Float] = [1, 1.5, 5, 0, 9]
        let pred: [Float] = [2, 1.5, 4, 7, 9]
        gt.withUnsafeBufferPointer { g in pred.withUnsafeBufferPointer { p in
            acc.add(gt: g.baseAddress!, pred: p.baseAddress!, pixels: 5, scale: 1)
        } }
        let bins = acc.bins
        #expect(bins.count == 3)
        #expect(bins[0].pixels == 2 && bins[0].rmse == (1.0 / 2).squareRoot() && bins[0].absRel == (1.0 / 1 + 0) / 2)
        #expect(bins[1].pixels == 0 && bins[1].rmse == nil && bins[1].absRel == nil)
        #expect(bins[2].pixels == 2 && bins[2].rmse == (1.0 / 2).squareRoot() && bins[2].absRel == (0.2 + 0) / 2)
        let json = String(decoding: try JSONEncoder().encode(bins[1]), as: UTF8.self)
        #expect(json.contains("\"rmse\":null") && json.contains("\"abs_rel\":null"))
    }

    /// Huge or infinite ground truth (V1 +inf kept without max_depth) joins the last bin.
    @Test func hugeDepthJoinsTheLastBin() {
        var acc = DepthBinAccumulator(width: 2, maxDepth: 30)
        let gt: [Float] = [.infinity, 3.4e35, 1], pred: [Float] = [1, 1, 1]
        gt.withUnsafeBufferPointer { g in pred.withUnsafeBufferPointer { p in acc.add(gt: g.baseAddress!, pred: p.baseAddress!, pixels: 3, scale: 1) } }
        #expect(acc.bins.last?.pixels == 2 && acc.bins.first?.pixels == 1)
    }
}
