import ArgumentParser
import Cache
import Foundation
import Ingest

struct FeaturizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featurize",
        abstract: "Compute features and depth targets for every sample once, into an HDF5 cache.",
        discussion: """
        The cache lives at <cache_dir>/<dataset>/<key>/features.h5, the key a hash of the manifest and the feature settings: an unchanged config reuses the finished cache, a changed one makes a new cache. An interrupted run resumes where it stopped.
        """)

    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Features") var features: FeatureOptions
    @OptionGroup var threads: ThreadsOption

    @Flag(name: .customLong("force"), help: "Rebuild the cache even if it is complete.")
    var force = false

    @Option(name: .customLong("flush_every"), help: "Samples computed and written between two flushes (resume points), 1 to 4096.")
    var flushEvery: Int = 32

    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    func validate() throws {
        guard (1...4096).contains(flushEvery) else { throw ValidationError("--flush_every \(flushEvery): expected a value from 1 to 4096") }
    }

    func run() throws {
        var r = try data.resolver()
        let config = try features.config(dataset: data.dataset, &r)  // refuses bad configs before any work
        let manifestURL = try data.manifestURL(&r)
        let cacheDir = try data.cacheDirURL(&r)
        let workers = try threads.parallelism(&r)
        let (manifest, root) = try data.manifestAndRoot(manifestURL)
        var featurizer = Featurizer(manifest: manifest, root: root, config: config, cacheDir: cacheDir)
        featurizer.showProgress = !quiet && isatty(STDERR_FILENO) != 0
        featurizer.batchSize = flushEvery
        featurizer.parallelism = workers
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
