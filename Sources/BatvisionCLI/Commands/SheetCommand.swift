import ArgumentParser
import Eval
import Foundation
import Pictures
import Support

/// `batvision sheet`: a prediction sheet drawn from a prediction archive, the figure a
/// paper wants from `eval --save_predictions`; the PyTorch trainer draws its per-epoch
/// pictures with it too.
struct SheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sheet",
        abstract: "Draw a prediction sheet (ground truth | prediction | error, per-sample metrics) from a predictions file.",
        discussion: """
        Reads <tag>_<split>_predictions.h5 as `eval --save_predictions` writes it (or the PyTorch trainer's per-epoch file) and draws the samples given by --samples (in that order), else the first --rows, on one colour scale (max_depth from the file's feature config, or --max_depth), with each sample's metrics. Writes <out>.png (4 pixels per point) with <out>.svg and <out>.pdf beside it; --png_only writes the PNG alone at 2 pixels per point.

        Example:
          batvision sheet --predictions stats/RUN/best_test_predictions.h5 --samples synth_hall/test/000003 synth_hall/test/000011 --out figure3
        """)

    @Option(name: .customLong("predictions"), help: "The predictions file (HDF5: /gt, /pred [N, 1, S, S] metres, /sample ids).")
    var predictions: String

    @Option(name: .customLong("out"), help: "The sheet's path without extension (.png, .svg and .pdf are added).")
    var out: String

    @Option(name: .customLong("samples"), parsing: .upToNextOption, help: "Sample ids to draw, in order (default: the first --rows).")
    var samples: [String] = []

    @Option(name: .customLong("rows"), help: "How many samples when --samples is not given (1 to 64).")
    var rows = 4

    @Option(name: .customLong("title"), help: "The sheet's title (default: the file's name and epoch).")
    var title: String?

    @Option(name: .customLong("max_depth"), help: "The colour scale's end in metres (default: the features' max_depth, else the ground truth's largest).")
    var maxDepth: Double?

    @Flag(name: .customLong("png_only"), help: "The PNG alone, at 2 pixels per point (what training draws every epoch).")
    var pngOnly = false

    func validate() throws {
        guard (1...64).contains(rows) else { throw ValidationError("--rows \(rows): expected 1 to 64") }
        guard samples.count <= 64 else { throw ValidationError("--samples: \(samples.count) ids, expected at most 64") }
        if let m = maxDepth, !(m > 0 && m <= 1000) { throw ValidationError("--max_depth \(m): expected above 0 and at most 1000 m") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: predictions)
        let chosen = try PredictionArchive.select(from: url, ids: samples.isEmpty ? nil : samples, first: rows)
        let name = url.deletingPathExtension().lastPathComponent
        let heading = title ?? (name + (chosen.epoch.map { ", epoch \($0)" } ?? ""))
        let files = try PredictionSheet.write(chosen.panels, maxDepth: maxDepth ?? chosen.maxDepth, title: heading,
                                              to: URL(fileURLWithPath: out), formats: pngOnly ? .png : .all, pngScale: pngOnly ? 2 : 4)
        print("sheet: \(chosen.panels.count) of \(chosen.count) samples -> " + files.map(\.path).joined(separator: ", "))
    }
}
