import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// Accumulates pixel-pooled squared and relative errors per ground-truth depth bin.
struct DepthBinAccumulator {
    let width: Double
    let count: Int
    var sq: [Double], rel: [Double], n: [Int]

    init(width: Double, maxDepth: Double) {
        self.width = width
        count = max(1, Int((maxDepth / width).rounded(.up)))
        sq = Array(repeating: 0, count: count)
        rel = sq
        n = Array(repeating: 0, count: count)
    }

    mutating func add(gt: UnsafePointer<Float>, pred: UnsafePointer<Float>, pixels: Int, scale: Float, range: DepthRange = .reference) {
        for i in 0..<pixels {
            let g = gt[i] * scale
            guard range.contains(g) else { continue }
            let p = pred[i] * scale
            // Huge or infinite depth (V1 without max_depth keeps +inf as 3.4e35 m) joins the last bin.
            let q = Double(g) / width
            let b = q.isFinite && q < Double(count - 1) ? Int(q) : count - 1
            let d = Double(g) - Double(p)
            sq[b] += d * d
            rel[b] += abs(d) / Double(g)
            n[b] += 1
        }
    }

    var bins: [DepthBin] {
        (0..<count).map { b in
            let m = Double(n[b])
            return DepthBin(lower: Double(b) * width, upper: Double(b + 1) * width, pixels: n[b],
                            rmse: n[b] > 0 ? (sq[b] / m).squareRoot() : nil, absRel: n[b] > 0 ? rel[b] / m : nil)
        }
    }
}
