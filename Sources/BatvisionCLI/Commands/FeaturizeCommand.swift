import ArgumentParser
import Cache
import Foundation
import Ingest

struct FeaturizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featurize",
        abstract: "Compute features and depth targets for every sample once, into an HDF5 cache.",
        discussion: """
        The cache lives at <cache_dir>/<dataset>/<key>/features.h5, the key a hash of the manifest and the feature settings: an unchanged config reuses the finished cache, a changed one makes a new cache. An interrupted run resumes where it stopped. A second featurize of the same cache is refused while one runs.

        --shard K/N computes shard K of N (the samples in cache order, train then val then test, cut into N contiguous ranges) into <key>/shards/shard-KKKK-of-NNNN.h5; run it for K = 0..N-1 on any machines sharing the folder, then `batvision merge --cache <key folder>`.
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

    @Option(name: .customLong("shard"), help: ArgumentHelp("Compute only shard K of N (0 <= K < N), e.g. 3/8.", valueName: "K/N"))
    var shard: ShardSpec?

    @Flag(name: .customLong("print_cache_dir"), help: "Print the cache's key folder and exit (no work): for scripts and cluster drivers.")
    var printCacheDir = false

    func validate() throws {
        guard (1...4096).contains(flushEvery) else { throw ValidationError("--flush_every \(flushEvery): expected a value from 1 to 4096") }
    }

    func run() throws {
        var r = try data.resolver(for: .featurize)
        let config = try features.config(dataset: data.dataset, &r)  // refuses bad configs before any work
        let manifestURL = try data.manifestURL(&r)
        let cacheDir = try data.cacheDirURL(&r)
        let workers = try threads.parallelism(&r)
        let (manifest, root) = try data.manifestAndRoot(manifestURL)
        if printCacheDir {
            print(CacheLocation(cacheDir: cacheDir, config: config, manifestDigest: manifest.digest).directory.path)
            return
        }
        var featurizer = Featurizer(manifest: manifest, root: root, config: config, cacheDir: cacheDir)
        featurizer.showProgress = !quiet && isatty(STDERR_FILENO) != 0
        featurizer.batchSize = flushEvery
        featurizer.parallelism = workers
        featurizer.shard = shard
        featurizer.manifestPath = manifestURL.path
        let s = try featurizer.run(force: force)
        let splits = Split.allCases.map { "\($0.rawValue) \(s.perSplit[$0] ?? 0)" }.joined(separator: ", ")
        let what = shard.map { "shard \($0)" } ?? "cache"
        if s.reused {
            print("featurize: \(what) is complete, reusing \(s.path.path) (\(splits); \(s.bytes / 1_000_000) MB)")
        } else {
            let resumed = s.resumedFrom > 0 ? ", resumed after \(s.resumedFrom)" : ""
            print("featurize: \(s.computed) samples in \(String(format: "%.1f", s.seconds)) s (\(String(format: "%.0f", s.samplesPerSecond)) samples/s\(resumed)) -> \(s.path.path)")
            print("  \(config.audioFormat.rawValue), images_size \(config.imagesSize), max_depth \(config.maxDepth.map { String($0) } ?? "none"), depth_norm \(config.depthNorm); \(splits); \(s.bytes / 1_000_000) MB")
            if s.inventedTargetPixels > 0 {
                print(String(format: "  note: %.1f %% of the valid target pixels (%d of %d) are shallower than their map's smallest measured depth: the %@ resize averaged holes into depth. --depth_resize valid_area or nearest invents none (docs/protocols.md)",
                             100 * Double(s.inventedTargetPixels) / Double(max(s.targetPixels, 1)), s.inventedTargetPixels, s.targetPixels, config.depthResize.rawValue))
            }
        }
    }
}

extension ShardSpec: ExpressibleByArgument {
    /// `K/N`.
    public init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), let spec = try? ShardSpec(index: k, count: n) else { return nil }
        self = spec
    }
}
