import Cache
import Foundation
import Ingest
import Model
import Support
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
                mean { g, p in abs(Foundation.log10(g) - Foundation.log10(p)) }, mean { g, p in abs(g - p) }].map { $0.isNaN ? 0 : $0 }  // SPEC: NaN -> 0
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

    /// Bilinear upsampling, align_corners=False (torch's `interpolate` for upsampling), in double.
    static func upsample(_ src: [Double], from s: Int, to h: Int, _ w: Int) -> [Double] {
        func taps(_ o: Int, _ n: Int) -> (Int, Int, Double) {
            let x = max((Double(o) + 0.5) * Double(s) / Double(n) - 0.5, 0)
            let i0 = min(Int(x), s - 1), i1 = min(i0 + 1, s - 1)
            return (i0, i1, x - Double(i0))
        }
        var out = [Double](repeating: 0, count: h * w)
        for y in 0..<h {
            let (y0, y1, fy) = taps(y, h)
            for x in 0..<w {
                let (x0, x1, fx) = taps(x, w)
                let top = src[y0 * s + x0] * (1 - fx) + src[y0 * s + x1] * fx
                let bottom = src[y1 * s + x0] * (1 - fx) + src[y1 * s + x1] * fx
                out[y * w + x] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }

    /// The other protocols on V2: both splits (each reported), per location, per-pixel
    /// pooling, gt >= min_depth and <= max_eval_depth, and raw depth maps at their native
    /// resolution, each against a recomputation here.
    @Test func protocolsMatchAPlainRecomputation() throws {
        let data = try SmallDataset(samples: 14)
        defer { data.dir.cleanup() }
        let config = try FeatureConfig(dataset: .batvisionv2, audioFormat: .spectrogram, maxDepth: 12, depthNorm: true, imagesSize: 32)
        var f = Featurizer(manifest: data.manifest, root: data.root, config: config, cacheDir: data.dir.file("cache"))
        f.showProgress = false
        let cache = try FeatureCache(path: try f.run().path)
        let model = try UNet(UNetConfig(numDowns: 5, ngf: 4, depthNorm: true))
        model.initialize(seed: 4)
        let p = EvaluationProtocol(minDepth: 1.5, maxEvalDepth: 4, rawDepth: true)
        var evaluator = Evaluator(model: model, cache: cache, splits: [.val, .test])
        evaluator.evaluationProtocol = p
        evaluator.raw = RawDepthSource(manifest: data.manifest, root: data.root)
        let (samples, summary) = try evaluator.run(checkpointName: "m", epoch: nil)
        #expect(summary.split == "val+test" && samples.count == cache.count(.val) + cache.count(.test))
        #expect(summary.perSplit.keys.sorted() == ["test", "val"] && summary.perSplit["val"]?.samples == cache.count(.val))

        var perImage: [[Double]] = [], pooledRows: [(Double, Double)] = []
        var edgeShare = 0.0
        var byLocation: [String: [[Double]]] = [:]
        for r in samples {
            // The raw map: uint16 millimetres -> metres, clipped to 30; the prediction upsampled.
            let record = try #require(data.manifest.samples.first { $0.id == r.id })
            let npy = try NPYArray(contentsOf: data.root.url.appendingPathComponent(record.depth.path))
            let (h, w) = (npy.shape[0], npy.shape[1])
            let gt = npy.floats().map { Double(min(Float($0) / 1000, 12)) }
            let s = try cache.sample(r.split, r.index)
            let pred = try model.forward(s.audio, batch: 1, height: 32, width: 32, training: false).map { Double($0 * 12) }
            let up = Self.upsample(pred, from: 32, to: h, w)
            let kept = zip(gt, up).filter { $0.0 > 0 && $0.0 >= 1.5 && $0.0 <= 4 }
            #expect(kept.count < gt.filter { $0 > 0 }.count, "the range leaves pixels out")
            let m = Self.metrics(kept.map(\.0), kept.map(\.1))
            // Upsampled here in double, there in float: a pixel whose ratio lies within 1e-4 of
            // a delta threshold may fall on either side; the deltas may differ by those pixels.
            func onEdge(_ t: Double) -> Double {
                Double(kept.filter { abs(max($0.0 / $0.1, $0.1 / $0.0) - t) < 1e-4 * t }.count) / Double(max(kept.count, 1))
            }
            let slack = [0, 0, onEdge(1.25), onEdge(1.25 * 1.25), onEdge(1.25 * 1.25 * 1.25), 0, 0]
            for k in 0..<7 {
                #expect(abs(r.metrics.values[k] - m[k]) <= 1e-4 * max(1, abs(m[k])) + slack[k],
                        "\(r.id) \(DepthMetrics.names[k]): \(r.metrics.values[k]) vs \(m[k]) over \(kept.count) pixels of \(h)x\(w)")
            }
            edgeShare += slack.reduce(0, +) / Double(samples.count)
            perImage.append(m)
            pooledRows += kept
            byLocation[r.location, default: []].append(m)
        }
        let pooled = Self.metrics(pooledRows.map(\.0), pooledRows.map(\.1))
        for (k, name) in DepthMetrics.names.enumerated() {
            let mean = perImage.map { $0[k] }.reduce(0, +) / Double(perImage.count)
            let slack = name.hasPrefix("delta") ? edgeShare : 0
            #expect(abs((summary.metrics[name] ?? .nan) - mean) <= 1e-4 * max(1, abs(mean)) + slack, "mean \(name)")
            #expect(abs((summary.pooledMetrics[name] ?? .nan) - pooled[k]) <= 1e-4 * max(1, abs(pooled[k])) + slack, "pooled \(name)")
        }
        #expect(summary.metrics["rmse"] != summary.pooledMetrics["rmse"])
        #expect(Set(summary.perLocation.keys) == Set(byLocation.keys) && byLocation.count > 1)
        for (location, rows) in byLocation {
            let mean = rows.map { $0[1] }.reduce(0, +) / Double(rows.count)
            #expect(abs((summary.perLocation[location]?.metrics["rmse"] ?? .nan) - mean) <= 1e-4 * max(1, mean), "\(location)")
        }
        // The sheet's rows carry the figures the samples were ranked by (this protocol's),
        // not a recomputation from the cached maps over the reference range.
        let report = EvaluationReport(samples: samples, summary: summary)
        let chosen = report.bestMedianWorst()
        let panels = try evaluator.panels(chosen.map(\.sample))
        let rows = report.sheet(panels: panels, maxDepth: 12, title: "t").rows
        #expect(rows.map(\.metrics) == chosen.map { $0.sample.metrics.named })
        #expect(zip(rows, panels).contains { $0.0.metrics != $0.1.sheetRow().metrics }, "the protocol changes the figures")
        // The protocol is recorded in the summary JSON.
        let json = String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)
        #expect(json.contains("\"min_depth\":1.5") && json.contains("\"raw_depth\":true") && json.contains("per_location"))
    }
}
