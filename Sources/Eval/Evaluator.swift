import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// Pixel-pooled errors for ground truth in [lower, upper) metres.
public struct DepthBin: Codable, Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var pixels: Int
    /// nil (JSON null) for a bin without pixels: no error was measured there.
    public var rmse: Double?
    public var absRel: Double?

    enum CodingKeys: String, CodingKey { case lower, upper, pixels, rmse, absRel = "abs_rel" }

    public init(lower: Double, upper: Double, pixels: Int, rmse: Double?, absRel: Double?) {
        self.lower = lower
        self.upper = upper
        self.pixels = pixels
        self.rmse = rmse
        self.absRel = absRel
    }

    /// Empty bins say `null` explicitly rather than leaving the keys out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encode(pixels, forKey: .pixels)
        try c.encode(rmse, forKey: .rmse)
        try c.encode(absRel, forKey: .absRel)
    }
}

/// One evaluated sample.
public struct SampleResult: Sendable {
    public var id: String
    public var split: Split
    public var index: Int
    public var metrics: DepthMetrics

    /// V2 ids are `<location>/<split>/<n>`; V1 has no locations.
    public var location: String {
        let parts = id.split(separator: "/")
        return parts.count >= 3 ? String(parts[0]) : ""
    }
}

/// What `eval` found: mean metrics (SPEC section 5), the constant predictor's figures on
/// the same samples, and the depth-binned breakdown.
public struct EvaluationSummary: Codable, Sendable {
    public var checkpoint: String
    public var epoch: Int?
    public var split: String
    public var samples: Int
    public var cache: String
    public var metrics: [String: Double]
    /// Predicting the training split's per-pixel mean depth for every sample.
    public var constantPredictor: [String: Double]
    public var depthBins: [DepthBin]
    public var constantDepthBins: [DepthBin]

    enum CodingKeys: String, CodingKey {
        case checkpoint, epoch, split, samples, cache, metrics
        case constantPredictor = "constant_predictor", depthBins = "depth_bins", constantDepthBins = "constant_depth_bins"
    }
}

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

    mutating func add(gt: UnsafePointer<Float>, pred: UnsafePointer<Float>, pixels: Int, scale: Float) {
        for i in 0..<pixels {
            let g = gt[i] * scale
            guard g > 0 else { continue }
            let p = pred[i] * scale
            let b = min(count - 1, Int(Double(g) / width))
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

/// Evaluates a model on one split of a cache, batch by batch, on every core.
public struct Evaluator {
    public let model: UNet
    public let cache: FeatureCache
    public let split: Split
    public var batchSize = 16
    public var binWidth = 2.0
    /// Where the last depth bin ends (deeper ground truth joins it): max_depth, or 30 m
    /// (the V2 sensor's range) when the features have none.
    public var binLimit: Double

    public init(model: UNet, cache: FeatureCache, split: Split) {
        self.model = model
        self.cache = cache
        self.split = split
        binLimit = cache.config.maxDepth ?? Self.defaultBinLimit
    }

    /// The last bin's end when the features set no max_depth (Batvision V2's 30 m range).
    public static let defaultBinLimit = 30.0

    var scale: Float { cache.config.metresPerUnit }

    func input() throws -> ModelInput {
        let d = cache.depthShape
        guard d.count == 3 else { throw ModelError.shape(name: "cached depth", expected: [1, -1, -1], found: d) }
        let input = try ModelInput(audioShape: cache.audioShape, depthSize: d[1])
        try model.config.checkInput(height: input.size, width: input.size)
        return input
    }

    /// The training split's per-pixel mean of valid depth (pixels never valid take the
    /// mean of all valid depth), in the cache's units.
    public func constantPrediction() throws -> [Float] {
        let pixels = cache.depthSize
        var sum = [Double](repeating: 0, count: pixels), n = [Int](repeating: 0, count: pixels)
        let stream = BatchStream(cache: cache, splits: [.train], batchSize: 64, shuffle: false)
        defer { stream.stop() }
        while let b = try stream.nextBatch() {
            for s in 0..<b.count { for i in 0..<pixels {
                let v = b.depth[s * pixels + i]
                if v > 0 { sum[i] += Double(v); n[i] += 1 }
            } }
        }
        let total = sum.reduce(0, +), count = n.reduce(0, +)
        let fallback = count > 0 ? total / Double(count) : 0
        return (0..<pixels).map { Float(n[$0] > 0 ? sum[$0] / Double(n[$0]) : fallback) }
    }

    /// Per-sample results in split order and the summary.
    public func run(checkpointName: String, epoch: Int?) throws -> (samples: [SampleResult], summary: EvaluationSummary) {
        let input = try input()
        let ids = try cache.sampleIds(split)
        let pixels = cache.depthSize
        let constant = try constantPrediction()
        var bins = DepthBinAccumulator(width: binWidth, maxDepth: binLimit)
        var constantBins = bins
        var results: [SampleResult] = []
        var constantMetrics: [DepthMetrics] = []
        let scale = self.scale
        try predictBatches(model: model, cache: cache, input: input, splits: [split], batchSize: batchSize) { batch, pred in
            let metrics = try batch.depth.withUnsafeBufferPointer { d in
                try constant.withUnsafeBufferPointer { c -> [DepthMetrics] in
                    guard let dp = d.baseAddress, let pp = pred.baseAddress, let cp = c.baseAddress else {
                        throw EvalError.emptySplit(cache: cache.path.path, split: split.rawValue)
                    }
                    for n in 0..<batch.count {
                        bins.add(gt: dp + n * pixels, pred: pp + n * pixels, pixels: pixels, scale: scale)
                        constantBins.add(gt: dp + n * pixels, pred: cp, pixels: pixels, scale: scale)
                    }
                    // The constant prediction is one map for every sample: stride 0.
                    constantMetrics += sampleMetrics(gt: dp, pred: cp, samples: batch.count, pixels: pixels, predStride: 0, scale: scale)
                    return sampleMetrics(gt: dp, pred: pp, samples: batch.count, pixels: pixels, predStride: pixels, scale: scale)
                }
            }
            for (n, m) in metrics.enumerated() {
                let index = batch.samples[n].index
                results.append(SampleResult(id: index < ids.count ? ids[index] : "\(split.rawValue)/\(index)", split: split, index: index, metrics: m))
            }
        }
        let summary = EvaluationSummary(checkpoint: checkpointName, epoch: epoch, split: split.rawValue, samples: results.count,
                                        cache: cache.path.path, metrics: DepthMetrics.mean(results.map(\.metrics)).named,
                                        constantPredictor: DepthMetrics.mean(constantMetrics).named,
                                        depthBins: bins.bins, constantDepthBins: constantBins.bins)
        return (results, summary)
    }

    /// Ground truth and prediction (metres) of chosen samples of the split.
    public func panels(_ chosen: [SampleResult]) throws -> [DepthPanel] {
        let input = try input()
        let pixels = cache.depthSize
        var out: [DepthPanel] = []
        let audio = FloatBuffer(count: cache.audioSize), depth = FloatBuffer(count: pixels)
        let x = FloatBuffer(count: input.floatsPerSample)
        for r in chosen {
            try cache.read(r.split, r.index, audio: UnsafeMutableBufferPointer(start: audio.pointer, count: audio.count),
                           depth: UnsafeMutableBufferPointer(start: depth.pointer, count: depth.count))
            input.prepare(audio.pointer, count: 1, into: x.pointer)
            let pred = try model.forward(x.pointer, batch: 1, height: input.size, width: input.size, training: false)
            out.append(DepthPanel(id: r.id, split: r.split, gt: depth.array.map { $0 * scale },
                                  pred: Array(pred).map { $0 * scale }, size: input.size))
        }
        return out
    }
}
