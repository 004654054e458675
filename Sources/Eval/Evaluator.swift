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

/// The figures of a group of samples (a split, a location): the per-image mean (the
/// reference's aggregation) and the per-pixel pooled metrics.
public struct GroupSummary: Codable, Sendable, Equatable {
    public var samples: Int
    public var pixels: Int
    public var metrics: [String: Double]
    public var pooledMetrics: [String: Double]

    enum CodingKeys: String, CodingKey { case samples, pixels, metrics, pooledMetrics = "pooled_metrics" }
}

/// Which pixels and which ground truth the figures are over (`eval --min_depth`,
/// `--max_eval_depth`, `--raw_depth`); the defaults are the reference's.
public struct EvaluationProtocol: Codable, Sendable, Equatable {
    /// Metres: pixels with ground truth below are left out (0: the reference's gt > 0).
    public var minDepth: Double = 0
    /// Metres: pixels with ground truth above are left out (nil: none).
    public var maxEvalDepth: Double?
    /// Against the dataset's raw depth maps at their native resolution (the prediction
    /// upsampled bilinearly to them) instead of the cached, resized targets.
    public var rawDepth = false

    public init(minDepth: Double = 0, maxEvalDepth: Double? = nil, rawDepth: Bool = false) {
        self.minDepth = minDepth
        self.maxEvalDepth = maxEvalDepth
        self.rawDepth = rawDepth
    }

    public static let reference = EvaluationProtocol()

    public var range: DepthRange { DepthRange(min: Float(minDepth), max: maxEvalDepth.map(Float.init) ?? .infinity) }

    enum CodingKeys: String, CodingKey { case minDepth = "min_depth", maxEvalDepth = "max_eval_depth", rawDepth = "raw_depth" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(minDepth, forKey: .minDepth)
        try c.encode(maxEvalDepth, forKey: .maxEvalDepth)
        try c.encode(rawDepth, forKey: .rawDepth)
    }
}

/// What `eval` found: mean metrics (SPEC section 5), the constant predictor's figures on
/// the same samples, the depth-binned breakdown, the per-pixel pooled figures, and the
/// breakdown per split and per location (V2).
public struct EvaluationSummary: Codable, Sendable {
    public var checkpoint: String
    public var epoch: Int?
    public var split: String
    public var samples: Int
    public var cache: String
    public var evaluationProtocol: EvaluationProtocol
    /// The per-image mean (the reference's aggregation).
    public var metrics: [String: Double]
    /// Every valid pixel of every sample pooled, then SPEC's formulas.
    public var pooledMetrics: [String: Double]
    /// Predicting the training split's per-pixel mean depth for every sample.
    public var constantPredictor: [String: Double]
    public var constantPooled: [String: Double]
    public var depthBins: [DepthBin]
    public var constantDepthBins: [DepthBin]
    public var perSplit: [String: GroupSummary]
    public var perLocation: [String: GroupSummary]

    enum CodingKeys: String, CodingKey {
        case checkpoint, epoch, split, samples, cache, metrics
        case evaluationProtocol = "protocol", pooledMetrics = "pooled_metrics"
        case constantPredictor = "constant_predictor", constantPooled = "constant_pooled"
        case depthBins = "depth_bins", constantDepthBins = "constant_depth_bins"
        case perSplit = "per_split", perLocation = "per_location"
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

/// The dataset's raw depth maps, found by sample id, for `--raw_depth`.
public struct RawDepthSource {
    public let root: DatasetRoot
    let records: [String: SampleRecord]

    public init(manifest: Manifest, root: DatasetRoot) {
        self.root = root
        records = Dictionary(manifest.samples.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Sample `id`'s depth as the target's metres (nan_to_num for V1, mm -> m, clipped to
    /// max_depth, negatives 0) at its native resolution, and its height and width.
    func metres(_ id: String, config: FeatureConfig) throws -> (values: [Float], height: Int, width: Int) {
        guard let record = records[id] else {
            throw EvalError.config("sample \(id) of the cache is not in the manifest: pass the manifest the cache was built from")
        }
        let npy = try NPYArray(contentsOf: try root.checkedURL(relative: record.depth.path))
        guard npy.shape.count == 2, npy.count > 0 else {
            throw EvalError.config("\(record.depth.path): depth of shape \(npy.shape), expected 2-D")
        }
        var values = npy.floats()
        values.withUnsafeMutableBufferPointer { DepthTarget(config: config).metres($0) }
        return (values, npy.shape[0], npy.shape[1])
    }
}

/// Evaluates a model on splits of a cache, batch by batch, on every core.
public struct Evaluator {
    public let model: UNet
    public let cache: FeatureCache
    public var splits: [Split]
    public var batchSize = 16
    public var binWidth = 2.0
    /// Where the last depth bin ends (deeper ground truth joins it): max_depth, or 30 m
    /// (the V2 sensor's range) when the features have none.
    public var binLimit: Double
    public var evaluationProtocol = EvaluationProtocol.reference
    /// The raw depth maps, needed when `evaluationProtocol.rawDepth`.
    public var raw: RawDepthSource?

    public init(model: UNet, cache: FeatureCache, split: Split) {
        self.init(model: model, cache: cache, splits: [split])
    }

    public init(model: UNet, cache: FeatureCache, splits: [Split]) {
        self.model = model
        self.cache = cache
        self.splits = splits
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

    /// Everything `run` accumulates while it goes through the samples.
    struct Tally {
        var results: [SampleResult] = []
        var constant: [DepthMetrics] = []
        var pooled = DepthMetricSums(), constantPooled = DepthMetricSums()
        var bins: DepthBinAccumulator, constantBins: DepthBinAccumulator
        var groups: [String: (metrics: [DepthMetrics], sums: DepthMetricSums)] = [:]

        mutating func group(_ key: String, _ m: DepthMetrics, _ sums: DepthMetricSums) {
            var g = groups[key] ?? ([], DepthMetricSums())
            g.metrics.append(m)
            g.sums.add(sums)
            groups[key] = g
        }

        func summaries(prefix: String) -> [String: GroupSummary] {
            var out: [String: GroupSummary] = [:]
            for (key, g) in groups where key.hasPrefix(prefix) {
                out[String(key.dropFirst(prefix.count))] = GroupSummary(samples: g.metrics.count, pixels: g.sums.pixels,
                                                                       metrics: DepthMetrics.mean(g.metrics).named,
                                                                       pooledMetrics: g.sums.metrics.named)
            }
            return out
        }
    }

    /// One sample's ground truth, prediction and constant prediction in metres: the cached
    /// target, or (`rawDepth`) the raw map with both predictions upsampled to it.
    func metres(id: String, gt: UnsafePointer<Float>, pred: UnsafePointer<Float>, constant: UnsafePointer<Float>,
                pixels: Int, upsamplers: inout [String: AntialiasResize], scratch: inout [Float]) throws -> (gt: [Float], pred: [Float], constant: [Float]) {
        let scale = self.scale
        let p = (0..<pixels).map { pred[$0] * scale }, c = (0..<pixels).map { constant[$0] * scale }
        guard evaluationProtocol.rawDepth else { return ((0..<pixels).map { gt[$0] * scale }, p, c) }
        guard let raw else { throw EvalError.config("--raw_depth needs the dataset: pass --manifest (and --dataset_dir if it moved)") }
        let (values, h, w) = try raw.metres(id, config: cache.config)
        let s = cache.config.imagesSize
        let key = "\(h)x\(w)"
        let up = upsamplers[key] ?? AntialiasResize(inputHeight: s, inputWidth: s, outputHeight: h, outputWidth: w)
        upsamplers[key] = up
        var pu = [Float](repeating: 0, count: h * w), cu = pu
        p.withUnsafeBufferPointer { src in pu.withUnsafeMutableBufferPointer { up.run(src, into: $0, scratch: &scratch) } }
        c.withUnsafeBufferPointer { src in cu.withUnsafeMutableBufferPointer { up.run(src, into: $0, scratch: &scratch) } }
        return (values, pu, cu)
    }

    /// Per-sample results in split order and the summary.
    public func run(checkpointName: String, epoch: Int?) throws -> (samples: [SampleResult], summary: EvaluationSummary) {
        let input = try input()
        let pixels = cache.depthSize
        let constant = try constantPrediction()
        let range = evaluationProtocol.range
        let bins = DepthBinAccumulator(width: binWidth, maxDepth: binLimit)
        var tally = Tally(bins: bins, constantBins: bins)
        var upsamplers: [String: AntialiasResize] = [:]
        var scratch: [Float] = []
        for split in splits {
            let ids = try cache.sampleIds(split)
            try predictBatches(model: model, cache: cache, input: input, splits: [split], batchSize: batchSize) { batch, pred in
                try batch.depth.withUnsafeBufferPointer { d in
                    try constant.withUnsafeBufferPointer { c in
                        guard let dp = d.baseAddress, let pp = pred.baseAddress, let cp = c.baseAddress else {
                            throw EvalError.emptySplit(cache: cache.path.path, split: split.rawValue)
                        }
                        for n in 0..<batch.count {
                            let index = batch.samples[n].index
                            let id = index < ids.count ? ids[index] : "\(split.rawValue)/\(index)"
                            let m = try metres(id: id, gt: dp + n * pixels, pred: pp + n * pixels, constant: cp, pixels: pixels,
                                               upsamplers: &upsamplers, scratch: &scratch)
                            var sums = DepthMetricSums(), constantSums = DepthMetricSums()
                            m.gt.withUnsafeBufferPointer { g in
                                m.pred.withUnsafeBufferPointer { p in
                                    m.constant.withUnsafeBufferPointer { k in
                                        sums.add(gt: g.baseAddress!, pred: p.baseAddress!, count: g.count, range: range)
                                        constantSums.add(gt: g.baseAddress!, pred: k.baseAddress!, count: g.count, range: range)
                                        tally.bins.add(gt: g.baseAddress!, pred: p.baseAddress!, pixels: g.count, scale: 1, range: range)
                                        tally.constantBins.add(gt: g.baseAddress!, pred: k.baseAddress!, pixels: g.count, scale: 1, range: range)
                                    }
                                }
                            }
                            let result = SampleResult(id: id, split: split, index: index, metrics: sums.metrics)
                            tally.results.append(result)
                            tally.constant.append(constantSums.metrics)
                            tally.pooled.add(sums)
                            tally.constantPooled.add(constantSums)
                            tally.group("split:" + split.rawValue, result.metrics, sums)
                            if !result.location.isEmpty { tally.group("location:" + result.location, result.metrics, sums) }
                        }
                    }
                }
            }
        }
        let summary = EvaluationSummary(checkpoint: checkpointName, epoch: epoch, split: splits.map(\.rawValue).joined(separator: "+"),
                                        samples: tally.results.count, cache: cache.path.path, evaluationProtocol: evaluationProtocol,
                                        metrics: DepthMetrics.mean(tally.results.map(\.metrics)).named,
                                        pooledMetrics: tally.pooled.metrics.named,
                                        constantPredictor: DepthMetrics.mean(tally.constant).named,
                                        constantPooled: tally.constantPooled.metrics.named,
                                        depthBins: tally.bins.bins, constantDepthBins: tally.constantBins.bins,
                                        perSplit: tally.summaries(prefix: "split:"), perLocation: tally.summaries(prefix: "location:"))
        return (tally.results, summary)
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
