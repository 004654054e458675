import ArgumentParser
import Cache
import Foundation
import Ingest

struct FeaturizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featurize",
        abstract: "Compute features and depth targets for every sample once, into an HDF5 cache.",
        discussion: """
        The cache lives at <cache_dir>/<dataset>/<key>/features.h5, the key a hash of the
        manifest and the feature settings: an unchanged config reuses the finished cache, a
        changed one makes a new cache. An interrupted run resumes where it stopped.
        """)

    @OptionGroup var features: FeatureOptions

    @Flag(name: .customLong("force"), help: "Rebuild the cache even if it is complete.")
    var force = false

    @Option(name: .customLong("flush_every"), help: "Samples computed and written between two flushes (resume points).")
    var flushEvery: Int = 32

    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    func run() throws {
        let settings = try features.settings()
        let config = try settings.featureConfig()  // refuses bad configs before any work
        let (manifest, root) = try features.manifestAndRoot(settings)
        var featurizer = Featurizer(manifest: manifest, root: root, config: config,
                                    cacheDir: URL(fileURLWithPath: try settings.string("cache_dir")))
        featurizer.showProgress = !quiet && isatty(STDERR_FILENO) != 0
        featurizer.batchSize = max(1, flushEvery)
        let s = try featurizer.run(force: force)
        let splits = Split.allCases.map { "\($0.rawValue) \(s.perSplit[$0] ?? 0)" }.joined(separator: ", ")
        if s.reused {
            print("featurize: cache is complete, reusing \(s.path.path) (\(splits); \(s.bytes / 1_000_000) MB)")
        } else {
            let resumed = s.resumedFrom > 0 ? ", resumed after \(s.resumedFrom)" : ""
            print("featurize: \(s.computed) samples in \(String(format: "%.1f", s.seconds)) s (\(String(format: "%.0f", s.samplesPerSecond)) samples/s\(resumed)) -> \(s.path.path)")
            print("  \(config.audioFormat.rawValue), images_size \(config.imagesSize), max_depth \(config.maxDepth.map { String($0) } ?? "none"), depth_norm \(config.depthNorm); \(splits); \(s.bytes / 1_000_000) MB")
        }
    }
}
