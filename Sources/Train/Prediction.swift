import Cache
import Foundation
import Ingest
import Model

/// One sample's depth in metres, for pictures and per-sample reports.
public struct DepthPanel: Sendable {
    public var id: String
    public var split: Split
    public var gt: [Float]
    public var pred: [Float]
    public var size: Int

    public init(id: String, split: Split, gt: [Float], pred: [Float], size: Int) {
        self.id = id; self.split = split; self.gt = gt; self.pred = pred; self.size = size
    }
}

/// Runs a model in eval mode over splits of a cache in order, batch by batch, and hands
/// each batch with the prediction (NCHW, same scale as the cached depth) to `body`.
public func predictBatches(model: UNet, cache: FeatureCache, input: ModelInput, splits: [Split], batchSize: Int,
                           body: (Batch, UnsafeBufferPointer<Float>) throws -> Void) throws {
    let stream = BatchStream(cache: cache, splits: splits, batchSize: batchSize, shuffle: false)
    defer { stream.stop() }
    let x = FloatBuffer(count: 0)
    while let batch = try stream.nextBatch() {
        input.prepare(batch, into: x)
        let pred = try model.forward(x.pointer, batch: batch.count, height: input.size, width: input.size, training: false)
        try body(batch, pred)
    }
}

/// Per-sample metrics of `samples` depth maps of `pixels` each, turned into metres by
/// `scale`. Prediction n starts at n * predStride (0: one prediction for every sample).
public func sampleMetrics(gt: UnsafePointer<Float>, pred: UnsafePointer<Float>, samples: Int, pixels: Int,
                          predStride: Int, scale: Float) -> (metrics: [DepthMetrics], nonFiniteLog10: Int) {
    var g = [Float](repeating: 0, count: pixels), p = [Float](repeating: 0, count: pixels)
    var nonFinite = 0
    let metrics = (0..<samples).map { n -> DepthMetrics in
        for i in 0..<pixels {
            g[i] = gt[n * pixels + i] * scale
            p[i] = pred[n * predStride + i] * scale
        }
        var sums = DepthMetricSums()
        sums.add(gt: g, pred: p, count: pixels)
        nonFinite += sums.nonFiniteLog10
        return sums.metrics
    }
    return (metrics, nonFinite)
}
