import ArgumentParser
import Cache
import Eval
import Foundation
import Ingest
import Support

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "A dataset card: counts, audio and depth distributions, onsets, duplicates and split leakage.",
        discussion: """
        Reads every sample the manifest lists and reports, per split and location: the recordings' length, RMS, peak, clipped fraction (|x| >= --clip_level) and echo onset (the first sample above --onset_threshold times the recording's peak; choose --audio_offset from it), the depth maps' valid fraction and a depth histogram, and exact duplicates (the same audio or depth bytes under several samples). A duplicate across splits is leakage: a finding, exit 1. Writes stats.json, dataset_card.md and PNG histograms to --out.
        """)

    @Option(name: .customLong("manifest"), help: "The manifest written by ingest.")
    var manifest: String
    @Option(name: .customLong("dataset_dir"), help: "The dataset root (default: the one recorded in the manifest).")
    var datasetDir: String?
    @Option(name: .customLong("out"), help: "Where the card goes (default: stats/<manifest name>-card).")
    var out: String?
    @Option(name: .customLong("onset_threshold"), help: "The onset is the first sample at least this fraction of the recording's peak (0 to 1).")
    var onsetThreshold: Double = 0.1
    @Option(name: .customLong("clip_level"), help: "Samples at or above this magnitude count as clipped (full scale is 1).")
    var clipLevel: Double = 0.999
    @OptionGroup(title: "The features whose depth targets are measured") var features: FeatureOptions
    @OptionGroup var threads: ThreadsOption
    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    func validate() throws {
        guard onsetThreshold > 0, onsetThreshold <= 1 else { throw ValidationError("--onset_threshold \(onsetThreshold): expected above 0 and at most 1") }
        guard clipLevel > 0, clipLevel.isFinite else { throw ValidationError("--clip_level \(clipLevel): expected a positive magnitude") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: manifest)
        let m = try Manifest.load(from: url)
        let root = try DatasetRoot(URL(fileURLWithPath: datasetDir ?? m.datasetDir))
        var r = try SettingsResolver.forConfDir(nil, dataset: m.dataset, command: .stats)
        let progress = ProgressReporter(label: "stats", total: m.samples.count, enabled: !quiet && isatty(STDERR_FILENO) != 0)
        let config = try features.config(dataset: m.dataset, &r)
        let target = DepthTarget(config: config)
        var stats = try DatasetStatistics.compute(manifest: m, root: root, onsetThreshold: onsetThreshold, clipLevel: clipLevel,
                                                  parallelism: try threads.parallelism(&r), progress: progress,
                                                  targets: { target.validAndInvented(millimetres: $0, height: $1, width: $2, smallest: $3) })
        progress.finish()
        stats.targetFeatures = "images_size \(config.imagesSize), max_depth \(config.maxDepth.map { String($0) } ?? "none"), depth_resize \(config.depthResize.rawValue)"
        let folder = out.map { URL(fileURLWithPath: $0) } ?? homePath("stats/\(url.deletingPathExtension().lastPathComponent)-card", r.home)
        let files = try DatasetCard(stats: stats, manifestPath: url.path).write(to: folder)
        print(DatasetCard(stats: stats, manifestPath: url.path).summary())
        for f in files { print("wrote \(f.path)") }
        if !stats.leakage.isEmpty { throw ExitCode(1) }
    }
}
