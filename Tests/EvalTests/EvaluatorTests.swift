import Cache
import Foundation
import Ingest
import Model
import Testing
import TestSupport
@testable import Eval

/// The Evaluator's numbers against a plain recomputation here: depth scaled to metres by
/// max_depth (depth_norm), only gt > 0 counted, per-sample means, the constant predictor
/// (the training split's per-pixel mean of valid depth) and the pooled depth bins.
@Suite struct EvaluatorTests {
    /// SPEC section 5 on one sample, in double, written out independently of DepthMetrics.
    static func metrics(_ g: [Double], _ p: [Double]) -> [Double] {
        let valid = zip(g, p).filter { $0.0 > 0 }
        let n = Double(valid.count)
        func mean(_ f: (Double, Double) -> Double) -> Double { valid.map { f($0.0, $0.1) }.reduce(0, +) / n }
        func within(_ t: Double) -> Double { mean { g, p in max(g / p, p / g) < t ? 1 : 0 } }
        return [mean { g, p in abs(g - p) / g }, mean { g, p in (g - p) * (g - p) }.squareRoot(),
                within(1.25), within(1.25 * 1.25), within(1.25 * 1.25 * 1.25),
                mean { g, p in abs(Foundation.log10(g) - Foundation.log10(p)) }, mean { g, p in abs(g - p) }]
    }

    @Test func evaluatorMatchesAPlainRecomputation() throws {
        let data = try SmallDataset(samples: 14, kind: .batvisionv1)
        defer { data.dir.cleanup() }
        let config = try FeatureConfig(dataset: .batvisionv1, audioFormat: .spectrogram, maxDepth: 12, depthNorm: true, imagesSize: 32)
        var f = Featurizer(manifest: data.manifest, root: data.root, config: config, cacheDir: data.dir.file("cache"))
        f.showProgress = false
        let path = try f.run().path
        // Holes (0 = no measurement) in every test map, so the gt > 0 mask matters.
        do {
            let file = try HDF5File(path: path.path, mode: .readWrite)
            let depth = try file.openDataset("/test/depth")
            for row in 0..<(depth.shape.first ?? 0) {
                var d = try depth.readRows(row, count: 1)
                for p in stride(from: row % 7, to: d.count, by: 5) { d[p] = 0 }
                try d.withUnsafeBufferPointer { try depth.writeRows(row, count: 1, $0) }
            }
            depth.close()
            file.close()
        }
        let cache = try FeatureCache(path: path)
        let model = try UNet(UNetConfig(numDowns: 5, ngf: 4, depthNorm: true))
        model.initialize(seed: 9)
        var evaluator = Evaluator(model: model, cache: cache, split: .test)
        evaluator.batchSize = 3
        evaluator.binWidth = 3
        let (samples, summary) = try evaluator.run(checkpointName: "m", epoch: 1)

        let pixels = 32 * 32, scale = 12.0
        let n = cache.count(.test)
        #expect(samples.count == n && n > 1)
        // Ground truth and predictions one sample at a time (eval mode), in metres.
        var gts: [[Double]] = [], preds: [[Double]] = []
        for i in 0..<n {
            let s = try cache.sample(.test, i)
            let pred = try model.forward(s.audio, batch: 1, height: 32, width: 32, training: false)
            gts.append(s.depth.map { Double(Float($0) * Float(scale)) })
            preds.append(pred.map { Double(Float($0) * Float(scale)) })
        }
        #expect(gts.allSatisfy { $0.contains { $0 > 0 } } && gts.allSatisfy { $0.contains { $0 == 0 } }, "holes and valid pixels in every map")
        var mean = [Double](repeating: 0, count: 7)
        for (i, r) in samples.enumerated() {
            let want = Self.metrics(gts[i], preds[i])
            for k in 0..<7 {
                #expect(abs(r.metrics.values[k] - want[k]) <= 1e-5 * max(1, abs(want[k])), "sample \(i) \(DepthMetrics.names[k]): \(r.metrics.values[k]) vs \(want[k])")
                mean[k] += want[k] / Double(n)
            }
        }
        for (k, name) in DepthMetrics.names.enumerated() {
            #expect(abs((summary.metrics[name] ?? .nan) - mean[k]) <= 1e-5 * max(1, abs(mean[k])), "mean \(name)")
        }

        // The constant predictor: per pixel, the mean of the training split's valid depth.
        var sum = [Double](repeating: 0, count: pixels), count = [Double](repeating: 0, count: pixels)
        for i in 0..<cache.count(.train) {
            let d = try cache.sample(.train, i).depth
            for p in 0..<pixels where d[p] > 0 { sum[p] += Double(d[p]); count[p] += 1 }
        }
        let fallback = sum.reduce(0, +) / count.reduce(0, +)
        let constant = (0..<pixels).map { Double(Float(count[$0] > 0 ? sum[$0] / count[$0] : fallback) * Float(scale)) }
        for (k, name) in DepthMetrics.names.enumerated() {
            let want = gts.map { Self.metrics($0, constant)[k] }.reduce(0, +) / Double(n)
            #expect(abs((summary.constantPredictor[name] ?? .nan) - want) <= 1e-5 * max(1, abs(want)), "constant \(name)")
        }

        // Depth bins: pixels pooled over the split by ground-truth depth, [0, 3), [3, 6), ...
        #expect(summary.depthBins.count == 4)
        for (b, bin) in summary.depthBins.enumerated() {
            var sq = 0.0, rel = 0.0, m = 0
            for (g, p) in zip(gts.joined(), preds.joined()) where g > 0 && min(3, Int(g / 3)) == b {
                sq += (g - p) * (g - p); rel += abs(g - p) / g; m += 1
            }
            #expect(bin.pixels == m && bin.lower == Double(b) * 3 && bin.upper == Double(b + 1) * 3)
            if m > 0 {
                #expect(abs(bin.rmse! - (sq / Double(m)).squareRoot()) < 1e-6 && abs(bin.absRel! - rel / Double(m)) < 1e-6)
            } else {
                #expect(bin.rmse == nil)
            }
        }
    }
}
