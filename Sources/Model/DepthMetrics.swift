import Foundation

/// SPEC section 5's per-sample depth metrics, with numpy's float32 arithmetic: pixels with
/// gt > 0 only; a zero prediction gives infinite ratios (never within a threshold) and an
/// infinite log10; a NaN result (e.g. no valid pixel) becomes 0. Inputs are in metres.
public struct DepthMetrics: Equatable, Sendable, Codable {
    public var absRel: Double
    public var rmse: Double
    public var delta1: Double
    public var delta2: Double
    public var delta3: Double
    public var log10: Double
    public var mae: Double

    /// The order of the goldens and the printed table.
    public static let names = ["abs_rel", "rmse", "delta1", "delta2", "delta3", "log10", "mae"]

    public var values: [Double] { [absRel, rmse, delta1, delta2, delta3, log10, mae] }

    /// The metrics by name (`abs_rel`, ..., `mae`), as logs and reports store them.
    public var named: [String: Double] { Dictionary(uniqueKeysWithValues: zip(Self.names, values)) }

    public init(values v: [Double]) {
        absRel = v[0]; rmse = v[1]; delta1 = v[2]; delta2 = v[3]; delta3 = v[4]; log10 = v[5]; mae = v[6]
    }

    public subscript(name: String) -> Double? {
        Self.names.firstIndex(of: name).map { values[$0] }
    }

    /// Lower is better for the errors, higher for delta1-3.
    public static func higherIsBetter(_ name: String) -> Bool { name.hasPrefix("delta") }

    /// One sample's metrics over pixels with gt > 0 (and inside `range`, when given).
    public init(gt: UnsafePointer<Float>, pred: UnsafePointer<Float>, count: Int, range: DepthRange = .reference) {
        var sums = DepthMetricSums()
        sums.add(gt: gt, pred: pred, count: count, range: range)
        self = sums.metrics
    }

    /// The mean over samples (the reported figure).
    public static func mean(_ all: [DepthMetrics]) -> DepthMetrics {
        guard !all.isEmpty else { return DepthMetrics(values: Array(repeating: 0, count: 7)) }
        var sums = [Double](repeating: 0, count: 7)
        for m in all { for (k, v) in m.values.enumerated() { sums[k] += v } }
        return DepthMetrics(values: sums.map { $0 / Double(all.count) })
    }
}

/// Which ground-truth pixels count: gt > 0 (the reference), and optionally gt >= min
/// (`eval --min_depth`) and gt <= max (`--max_eval_depth`), in metres.
public struct DepthRange: Equatable, Sendable, Codable {
    public var min: Float
    public var max: Float

    public init(min: Float = 0, max: Float = .infinity) {
        self.min = min
        self.max = max
    }

    public static let reference = DepthRange()

    @inline(__always)
    public func contains(_ g: Float) -> Bool { g > 0 && g >= min && g <= max }
}

/// The sums behind SPEC section 5's metrics, over one sample (the reference's per-image
/// figures) or pooled over many (per-pixel aggregation), with numpy's float32 arithmetic.
public struct DepthMetricSums: Sendable {
    public private(set) var pixels = 0
    /// Valid pixels whose log10 term is not finite (a prediction of 0 or less, or not a
    /// number): the reference's log10 is then infinite (or NaN, reported as 0), as SPEC says;
    /// this count says how many pixels made it so.
    public private(set) var nonFiniteLog10 = 0
    var a1 = 0, a2 = 0, a3 = 0
    var sq = 0.0, rel = 0.0, lg = 0.0, ab = 0.0

    public init() {}

    public mutating func add(gt: UnsafePointer<Float>, pred: UnsafePointer<Float>, count: Int, range: DepthRange = .reference) {
        let t1: Float = 1.25, t2: Float = 1.25 * 1.25, t3: Float = 1.25 * 1.25 * 1.25
        for i in 0..<count {
            let g = gt[i]
            guard range.contains(g) else { continue }
            let p = pred[i]
            pixels += 1
            let thresh = Swift.max(g / p, p / g)  // numpy.maximum: NaN propagates
            if thresh < t1 { a1 += 1 }
            if thresh < t2 { a2 += 1 }
            if thresh < t3 { a3 += 1 }
            let diff = g - p
            sq += Double(diff * diff)
            rel += Double(abs(diff) / g)
            let l = abs(Foundation.log10(g) - Foundation.log10(p))
            if !l.isFinite { nonFiniteLog10 += 1 }
            lg += Double(l)
            ab += Double(abs(diff))
        }
    }

    public mutating func add(_ other: DepthMetricSums) {
        pixels += other.pixels
        nonFiniteLog10 += other.nonFiniteLog10
        a1 += other.a1; a2 += other.a2; a3 += other.a3
        sq += other.sq; rel += other.rel; lg += other.lg; ab += other.ab
    }

    /// The metrics of everything added (NaN, e.g. no valid pixel, becomes 0).
    public var metrics: DepthMetrics {
        let m = Double(pixels)
        // Means are float32 results in numpy; rmse is sqrt of the float32 mean.
        func mean(_ s: Double) -> Double { Double(Float(s / m)) }
        let v = [mean(rel), Double(Float(Float(sq / m).squareRoot())), Double(a1) / m, Double(a2) / m, Double(a3) / m, mean(lg), mean(ab)]
        return DepthMetrics(values: v.map { $0.isNaN ? 0 : $0 })
    }
}
