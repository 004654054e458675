import Foundation
import Pictures
import Ingest
import Support

/// `batvision stats`'s outputs: the printed summary, `stats.json`, `dataset_card.md` and the
/// PNG histograms.
public struct DatasetCard {
    public let stats: DatasetStatistics
    public let manifestPath: String

    public init(stats: DatasetStatistics, manifestPath: String) {
        self.stats = stats
        self.manifestPath = manifestPath
    }

    static func f(_ x: Double, _ digits: Int = 3) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "-" }

    func row(_ name: String, _ unit: String, _ d: DatasetStatistics.Distribution, digits: Int = 3) -> String {
        "| \(name) (\(unit)) | \(Self.f(d.min, digits)) | \(Self.f(d.p05, digits)) | \(Self.f(d.median, digits)) | \(Self.f(d.p95, digits)) | \(Self.f(d.max, digits)) |"
    }

    func table(_ g: DatasetStatistics.Group) -> [String] {
        ["| quantity | min | p5 | median | p95 | max |", "|---|---|---|---|---|---|",
         row("audio length", "s", g.audioSeconds), row("RMS", "full scale", g.rms, digits: 4), row("peak", "full scale", g.peak, digits: 4),
         row("clipped samples", "fraction", g.clippedFraction, digits: 5), row("echo onset", "ms", g.onsetMs, digits: 2),
         row("valid depth", "fraction of pixels", g.depthValidFraction), row("depth", "m", g.depthMetres, digits: 3)]
    }

    /// The Markdown card.
    public func markdown() -> String {
        var lines = ["# Dataset card: \(stats.dataset)", "",
                     "Manifest `\(manifestPath)` (digest `\(stats.manifestDigest.prefix(16))`), \(stats.all.samples) samples. "
                     + "Onset: first sample at least \(stats.onsetThreshold) of the recording's peak; clipped: |x| >= \(stats.clipLevel). "
                     + "Depth: every valid pixel (\(stats.all.depthValidPixels) of \(stats.all.depthPixels)), nothing sampled; min and max exact, quantiles to the millimetre.", "",
                     "## Samples", "", "| split | samples |", "|---|---|"]
        for (split, g) in stats.perSplit.sorted(by: { $0.key < $1.key }) { lines.append("| \(split) | \(g.samples) |") }
        if !stats.perLocation.isEmpty {
            lines += ["", "| location | samples | median onset (ms) | median valid depth |", "|---|---|---|---|"]
            for (loc, g) in stats.perLocation.sorted(by: { $0.key < $1.key }) {
                lines.append("| \(loc) | \(g.samples) | \(Self.f(g.onsetMs.median, 2)) | \(Self.f(g.depthValidFraction.median)) |")
            }
        }
        lines += ["", "## All samples", ""] + table(stats.all)
        if let line = inventedTargets { lines += ["", line] }
        for (split, g) in stats.perSplit.sorted(by: { $0.key < $1.key }) { lines += ["", "## \(split)", ""] + table(g) }
        lines += ["", "## Duplicates", ""]
        if stats.duplicates.isEmpty {
            lines.append("No two samples share audio or depth bytes.")
        } else {
            lines += ["| kind | samples | splits | leakage |", "|---|---|---|---|"]
            for d in stats.duplicates {
                lines.append("| \(d.kind) | \(d.samples.prefix(6).joined(separator: ", "))\(d.samples.count > 6 ? ", ..." : "") | \(d.splits.joined(separator: ", ")) | \(d.leaks ? "**yes**" : "no") |")
            }
        }
        lines += ["", "## Pictures", "", "![echo onset](onset_ms.png)", "![RMS](rms.png)", "![valid depth](depth_valid_fraction.png)", "![depth](depth_histogram.png)"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// How many of the targets' valid pixels the resize invented (shallower than their map's
    /// smallest measured depth: holes averaged into depth), when they were counted.
    var inventedTargets: String? {
        guard let valid = stats.all.targetPixels, let invented = stats.all.inventedTargetPixels, let features = stats.targetFeatures else { return nil }
        let share = Self.f(100 * Double(invented) / Double(Swift.max(valid, 1)), 2)
        return "targets (\(features)): \(invented) of \(valid) valid pixels (\(share) %) are shallower than their map's smallest measured depth, invented by the resize"
            + (invented > 0 ? "; --depth_resize valid_area or nearest invents none (docs/protocols.md)" : "")
    }

    /// The printed summary.
    public func summary() -> String {
        let a = stats.all
        var lines = ["stats: \(a.samples) samples of \(stats.dataset) (" + stats.perSplit.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.samples)" }.joined(separator: ", ") + ")"]
        lines.append("  audio \(Self.f(a.audioSeconds.median, 4)) s median; RMS \(Self.f(a.rms.median, 4)); peak \(Self.f(a.peak.max, 4)) max; clipped \(Self.f(a.clippedFraction.max, 5)) max")
        lines.append("  echo onset \(Self.f(a.onsetMs.min, 2))-\(Self.f(a.onsetMs.max, 2)) ms (median \(Self.f(a.onsetMs.median, 2)) ms = \(Int((a.onsetMs.median * 44.1).rounded())) samples at 44.1 kHz)")
        lines.append("  valid depth \(Self.f(a.depthValidFraction.median)) median; depth \(Self.f(a.depthMetres.min, 3))-\(Self.f(a.depthMetres.max, 3)) m over all \(a.depthValidPixels) valid pixels (of \(a.depthPixels))")
        if let line = inventedTargets { lines.append("  " + line) }
        lines.append("  duplicates: \(stats.duplicates.count); across splits (leakage): \(stats.leakage.count)")
        // Counts and the first few ids: a map shared by thousands of samples would be a line
        // of hundreds of KB. stats.json keeps every id.
        for d in stats.leakage.prefix(10) {
            let shown = d.samples.prefix(5).joined(separator: ", ") + (d.samples.count > 5 ? ", ... (all in stats.json)" : "")
            lines.append("finding    leakage: \(d.kind) of \(d.samples.count) samples (\(shown)) is in \(d.splits.joined(separator: " and "))")
        }
        if stats.leakage.count > 10 { lines.append("finding    leakage: \(stats.leakage.count - 10) more shared \(stats.leakage.count - 10 == 1 ? "file" : "files") across splits (all in stats.json)") }
        return lines.joined(separator: "\n")
    }

    /// Writes stats.json, dataset_card.md and the histograms into `folder`.
    public func write(to folder: URL) throws -> [URL] {
        var files: [URL] = []
        func save(_ name: String, _ data: Data) throws {
            let url = folder.appendingPathComponent(name)
            try writeFile(data, to: url)
            files.append(url)
        }
        try save("stats.json", try JSONCoding.encoder(pretty: true, snakeCaseKeys: true).encode(stats))
        try save("dataset_card.md", Data(markdown().utf8))
        let splits = ["train", "val", "test"].filter { stats.perSplit[$0] != nil }
        // Per split, each normalised to its own samples (a large train split would hide the
        // others); an axis of equal values stays readable (HistogramChart.binned).
        func chart(_ name: String, title: String, x: String, _ value: @escaping (DatasetStatistics.SampleSummary) -> Double?) throws {
            let series = splits.map { split in (name: split, values: stats.samples.filter { $0.split == split }.compactMap(value)) }
            let c = HistogramChart.binned(title: title, xLabel: x, yLabel: "samples", series: series, bins: 30, normalisePerSeries: true)
            files += try c.write(to: folder.appendingPathComponent(name))
        }
        try chart("onset_ms.png", title: "echo onset per recording", x: "onset (ms)") { $0.onsetMs }
        try chart("rms.png", title: "recording loudness", x: "rms (full scale)") { $0.rms }
        try chart("depth_valid_fraction.png", title: "depth maps: share of valid pixels", x: "valid fraction") { $0.depthValidFraction }
        // Every valid pixel, counted per bin (the counts written on the bars).
        let depth = HistogramChart(title: "depth of valid pixels (all samples, every pixel)", xLabel: "depth (m)", yLabel: "pixels",
                                   start: 0, binWidth: stats.histogramBinMetres,
                                   series: [("all", stats.all.depthHistogram.map(Double.init))], countLabels: true)
        files += try depth.write(to: folder.appendingPathComponent("depth_histogram.png"))
        return files
    }
}
