import Cache
import Foundation
import Ingest
import Model
import Support
import Train

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
    /// Where every sample's maps and metrics go (`eval --save_predictions`).
    public var archive: PredictionArchive?
    /// Told of each sample read: the training split's (for the constant predictor), then
    /// the evaluated splits'.
    public var progress: ProgressReporter?

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

    /// Everything `run` accumulates while it goes through the samples, in the order it
    /// sees them: per sample, the model's and the constant predictor's figures; pooled over
    /// every pixel, per depth bin, and per split and location.
    struct Tally {
        /// A split's or a location's per-sample metrics and pooled sums.
        struct Group {
            var metrics: [DepthMetrics] = []
            var sums = DepthMetricSums()
            var summary: GroupSummary {
                GroupSummary(samples: metrics.count, pixels: sums.pixels, metrics: DepthMetrics.mean(metrics).named,
                             pooledMetrics: sums.metrics.named)
            }
        }

        let range: DepthRange
        var results: [SampleResult] = []
        var constant: [DepthMetrics] = []
        var pooled = DepthMetricSums(), constantPooled = DepthMetricSums()
        var bins: DepthBinAccumulator, constantBins: DepthBinAccumulator
        var splits: [String: Group] = [:], locations: [String: Group] = [:]

        init(range: DepthRange, bins: DepthBinAccumulator) {
            self.range = range
            self.bins = bins
            constantBins = bins
        }

        /// One sample, its ground truth and both predictions in metres.
        mutating func add(id: String, split: Split, index: Int, _ m: (gt: [Float], pred: [Float], constant: [Float])) {
            var sums = DepthMetricSums(), constantSums = DepthMetricSums()
            m.gt.withUnsafeBufferPointer { g in
                m.pred.withUnsafeBufferPointer { p in
                    m.constant.withUnsafeBufferPointer { k in
                        let (g, p, k, n) = (g.baseAddress!, p.baseAddress!, k.baseAddress!, g.count)
                        sums.add(gt: g, pred: p, count: n, range: range)
                        constantSums.add(gt: g, pred: k, count: n, range: range)
                        bins.add(gt: g, pred: p, pixels: n, scale: 1, range: range)
                        constantBins.add(gt: g, pred: k, pixels: n, scale: 1, range: range)
                    }
                }
            }
            let result = SampleResult(id: id, split: split, index: index, metrics: sums.metrics)
            results.append(result)
            constant.append(constantSums.metrics)
            pooled.add(sums)
            constantPooled.add(constantSums)
            Self.add(result.metrics, sums, to: &splits[split.rawValue, default: Group()])
            if !result.location.isEmpty { Self.add(result.metrics, sums, to: &locations[result.location, default: Group()]) }
        }

        private static func add(_ m: DepthMetrics, _ sums: DepthMetricSums, to group: inout Group) {
            group.metrics.append(m)
            group.sums.add(sums)
        }

        func summary(checkpoint: String, epoch: Int?, splits evaluated: [Split], cache: String,
                     protocol evaluationProtocol: EvaluationProtocol) -> EvaluationSummary {
            EvaluationSummary(checkpoint: checkpoint, epoch: epoch, split: evaluated.map(\.rawValue).joined(separator: "+"),
                              samples: results.count, cache: cache, evaluationProtocol: evaluationProtocol,
                              metrics: DepthMetrics.mean(results.map(\.metrics)).named,
                              pooledMetrics: pooled.metrics.named,
                              constantPredictor: DepthMetrics.mean(constant).named,
                              constantPooled: constantPooled.metrics.named,
                              depthBins: bins.bins, constantDepthBins: constantBins.bins,
                              perSplit: splits.mapValues(\.summary), perLocation: locations.mapValues(\.summary),
                              log10NonFinitePixels: pooled.nonFiniteLog10)
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

    /// Per-sample results in split order and the summary: the constant predictor from the
    /// training split, then every batch of each split through the model, each sample
    /// brought to metres (`metres`) and tallied (`Tally.add`).
    public func run(checkpointName: String, epoch: Int?) throws -> (samples: [SampleResult], summary: EvaluationSummary) {
        let input = try input()
        let pixels = cache.depthSize
        let constant = try ConstantPredictor(cache: cache, progress: progress).prediction
        var tally = Tally(range: evaluationProtocol.range, bins: DepthBinAccumulator(width: binWidth, maxDepth: binLimit))
        var upsamplers: [String: AntialiasResize] = [:]
        var scratch: [Float] = []
        for split in splits {
            let ids = try cache.sampleIds(split)
            try predictBatches(model: model, cache: cache, input: input, splits: [split], batchSize: batchSize) { batch, pred in
                for n in 0..<batch.count {
                    let index = batch.samples[n].index
                    let id = index < ids.count ? ids[index] : "\(split.rawValue)/\(index)"
                    let m = try batch.depth.withUnsafeBufferPointer { d in
                        try constant.withUnsafeBufferPointer { c in
                            guard let dp = d.baseAddress, let pp = pred.baseAddress, let cp = c.baseAddress else {
                                throw EvalError.emptySplit(cache: cache.path.path, split: split.rawValue)
                            }
                            return try metres(id: id, gt: dp + n * pixels, pred: pp + n * pixels, constant: cp, pixels: pixels,
                                              upsamplers: &upsamplers, scratch: &scratch)
                        }
                    }
                    tally.add(id: id, split: split, index: index, m)
                    if let archive, let result = tally.results.last {
                        // The cached S x S maps (with --raw_depth the metrics are the native maps').
                        let gt = batch.depth[(n * pixels)..<((n + 1) * pixels)].map { $0 * scale }
                        let p = pred[(n * pixels)..<((n + 1) * pixels)].map { $0 * scale }
                        try archive.add(id: id, split: split, gt: gt, pred: p, metrics: result.metrics)
                    }
                    progress?.advance()
                }
            }
        }
        return (tally.results, tally.summary(checkpoint: checkpointName, epoch: epoch, splits: splits, cache: cache.path.path,
                                             protocol: evaluationProtocol))
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
