import Foundation
import Pictures
import Ingest
import Model
import Support
import Train

/// The files `eval` writes to `<stat_dir>/<run>/`, and the table it prints.
public struct EvaluationReport {
    public let samples: [SampleResult]
    public let summary: EvaluationSummary

    public init(samples: [SampleResult], summary: EvaluationSummary) {
        self.samples = samples
        self.summary = summary
    }

    /// sample, split, location, then every metric; full precision.
    public func csv() -> String {
        var lines = [(["sample", "split", "location"] + DepthMetrics.names).joined(separator: ",")]
        for r in samples {
            let fields = [csvField(r.id), r.split.rawValue, csvField(r.location)] + r.metrics.values.map { "\($0)" }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() throws -> Data {
        try JSONCoding.encoder(pretty: true).encode(summary)
    }

    /// Best, median and worst samples by rmse (finite first), in that order.
    public func bestMedianWorst() -> [(label: String, sample: SampleResult)] {
        let ranked = samples.sorted { ($0.metrics.rmse, $0.id) < ($1.metrics.rmse, $1.id) }
        guard let best = ranked.first, let worst = ranked.last else { return [] }
        let median = ranked[ranked.count / 2]
        return [("best", best), ("median", median), ("worst", worst)]
    }

    /// The printed table: the model's figures next to the constant predictor's, then the
    /// depth-binned breakdown.
    public func table() -> String {
        let names = DepthMetrics.names
        func row(_ label: String, _ m: [String: Double]) -> String {
            label.padding(toLength: 22, withPad: " ", startingAt: 0) + names.map { String(format: "%9.4f", m[$0] ?? .nan) }.joined()
        }
        var out: [String] = []
        let p = summary.evaluationProtocol
        if p != .reference {
            out.append("protocol: gt >= \(p.minDepth) m\(p.maxEvalDepth.map { ", gt <= \($0) m" } ?? "")\(p.rawDepth ? ", raw depth maps at native resolution" : "")")
        }
        out.append("".padding(toLength: 22, withPad: " ", startingAt: 0) + names.map { $0.leftPadded(9) }.joined())
        out.append(row("model", summary.metrics))
        out.append(row("model, per pixel", summary.pooledMetrics))
        out.append(row("constant predictor", summary.constantPredictor))
        out.append(row("constant, per pixel", summary.constantPooled))
        if let n = summary.log10NonFinitePixels, n > 0 {
            out.append("log10 is the reference's: infinite because \(n) valid pixel(s) were predicted 0 (log10 of 0)")
        }
        if summary.perSplit.count > 1 {
            out.append("")
            for (split, g) in summary.perSplit.sorted(by: { $0.key < $1.key }) { out.append(row("\(split) (\(g.samples))", g.metrics)) }
        }
        if !summary.perLocation.isEmpty {
            out.append("")
            out.append("by location (per-image mean)")
            for (location, g) in summary.perLocation.sorted(by: { $0.key < $1.key }) {
                out.append(row(String("\(location) (\(g.samples))".prefix(22)), g.metrics))
            }
        }
        out.append("")
        out.append("by ground-truth depth      pixels      rmse   abs_rel   | constant: rmse   abs_rel")
        for (b, c) in zip(summary.depthBins, summary.constantDepthBins) where b.pixels > 0 {
            out.append(String(format: "  %5.1f - %5.1f m  %14d  %8.4f  %8.4f   |           %8.4f  %8.4f", b.lower, b.upper, b.pixels, b.rmse ?? .nan, b.absRel ?? .nan, c.rmse ?? .nan, c.absRel ?? .nan))
        }
        return out.joined(separator: "\n")
    }

    /// Writes `<prefix>_per_sample.csv`, `<prefix>_summary.json` and `<prefix>_sheet.png`
    /// (with its SVG and PDF) into `directory`; returns their URLs. The sheet shows the best,
    /// median and worst samples by rmse, on a scale capped at `maxDepth` when set.
    public func write(to directory: URL, prefix: String, panels: [DepthPanel], maxDepth: Double?, title: String) throws -> [URL] {
        let csvURL = directory.appendingPathComponent("\(prefix)_per_sample.csv")
        let jsonURL = directory.appendingPathComponent("\(prefix)_summary.json")
        try writeFile(Data(csv().utf8), to: csvURL)
        try writeFile(try json(), to: jsonURL)
        let files = try sheet(panels: panels, maxDepth: maxDepth, title: title).write(to: directory.appendingPathComponent("\(prefix)_sheet.png"))
        return [csvURL, jsonURL] + files
    }

    /// The sheet of `panels` (the best, median and worst samples' maps), each row titled with
    /// the figures that sample was ranked by: the evaluation protocol's, which differ from a
    /// recomputation over the reference range under --min_depth, --max_eval_depth or --raw_depth.
    public func sheet(panels: [DepthPanel], maxDepth: Double?, title: String) -> PredictionSheet {
        let chosen = bestMedianWorst()
        return PredictionSheet(panels: panels, labels: chosen.map(\.label), metrics: chosen.map(\.sample.metrics), maxDepth: maxDepth, title: title)
    }
}
