import Cache
import Foundation
import Ingest
import Model
import Support

/// The baseline every model must beat: predict, for every sample, the training split's
/// per-pixel mean of valid depth (pixels never valid take the mean of all valid depth).
/// `eval` reports it beside the model on the evaluated split, and `train` records it on
/// the validation split (`logs/<run>/constant_predictor.json`) so that `compare` can say
/// which runs beat it.
public struct ConstantPredictor: Sendable {
    /// The prediction, in the cache's units, one value per depth pixel.
    public let prediction: [Float]

    /// From the training split of `cache`; `progress` is told of each sample read.
    public init(cache: FeatureCache, progress: ProgressReporter? = nil) throws {
        let pixels = cache.depthSize
        var sum = [Double](repeating: 0, count: pixels), n = [Int](repeating: 0, count: pixels)
        let stream = BatchStream(cache: cache, splits: [.train], batchSize: 64, shuffle: false)
        defer { stream.stop() }
        while let b = try stream.nextBatch() {
            defer { progress?.advance(by: b.count) }
            for s in 0..<b.count { for i in 0..<pixels {
                let v = b.depth[s * pixels + i]
                if v > 0 { sum[i] += Double(v); n[i] += 1 }
            } }
        }
        let total = sum.reduce(0, +), count = n.reduce(0, +)
        let fallback = count > 0 ? total / Double(count) : 0
        prediction = (0..<pixels).map { Float(n[$0] > 0 ? sum[$0] / Double(n[$0]) : fallback) }
    }

    /// Its figures on a split of `cache`: the per-image mean of SPEC's metrics (as the
    /// model's are reported) and the per-pixel pooled ones; `scale` turns cache units into metres.
    public func evaluate(on split: Split, of cache: FeatureCache, scale: Float) throws -> Figures {
        let pixels = cache.depthSize
        var perImage: [DepthMetrics] = [], pooled = DepthMetricSums()
        let stream = BatchStream(cache: cache, splits: [split], batchSize: 64, shuffle: false)
        defer { stream.stop() }
        let constant = prediction.map { $0 * scale }
        var gt = [Float](repeating: 0, count: pixels)
        while let b = try stream.nextBatch() {
            for s in 0..<b.count {
                for i in 0..<pixels { gt[i] = b.depth[s * pixels + i] * scale }
                var sums = DepthMetricSums()
                sums.add(gt: gt, pred: constant, count: pixels)
                perImage.append(sums.metrics)
                pooled.add(sums)
            }
        }
        return Figures(split: split.rawValue, samples: perImage.count, metrics: DepthMetrics.mean(perImage).named,
                       pooledMetrics: pooled.metrics.named)
    }

    /// The constant predictor's figures on one split, as `constant_predictor.json` holds them.
    public struct Figures: Codable, Equatable, Sendable {
        public var split: String
        public var samples: Int
        public var metrics: [String: Double]
        public var pooledMetrics: [String: Double]

        enum CodingKeys: String, CodingKey { case split, samples, metrics, pooledMetrics = "pooled_metrics" }
    }

    /// Where a run keeps them.
    public static let fileName = "constant_predictor.json"
}
