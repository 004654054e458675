import Foundation
import Support
import Ingest

/// Where the cache of one (manifest, feature config) pair lives:
/// `<cache_dir>/<dataset>/<key>/features.h5`, the key a short hash of both; shards of a
/// sharded featurize live in `shards/` beside it.
public struct CacheLocation: Sendable {
    public static let schemaVersion = 1
    /// The version of the feature computation (DSP, resize, depth target). Bump it when a
    /// change to that code changes any cached value: every key changes, so no cache of the
    /// old code is reused. Version 1 is the code the first caches were made with; it adds
    /// nothing to the key, so those caches keep theirs.
    public static let dspVersion = 1

    public let directory: URL
    public let key: String

    public init(cacheDir: URL, config: FeatureConfig, manifestDigest: String) {
        key = Self.key(config: config, manifestDigest: manifestDigest)
        directory = cacheDir.appendingPathComponent(config.dataset.rawValue).appendingPathComponent(key)
    }

    /// The files of the whole cache.
    public var whole: CacheFiles { CacheFiles.whole(in: directory) }
    /// The finished cache; it only ever appears complete (renamed from `partial`).
    public var file: URL { whole.file }
    /// The cache being written.
    public var partial: URL { whole.partial }
    /// How far the partial file is known to be written (flushed) per split.
    public var progress: URL { whole.progress }

    public var shardsDirectory: URL { directory.appendingPathComponent("shards") }

    /// The files of shard `shard`: `shards/shard-KKKK-of-NNNN.h5`.
    public func files(of shard: ShardSpec) -> CacheFiles {
        let name = String(format: "shard-%04d-of-%04d", shard.index, shard.count)
        return CacheFiles(file: shardsDirectory.appendingPathComponent("\(name).h5"), progressName: "\(name).progress.json")
    }

    public static func key(config: FeatureConfig, manifestDigest: String, dspVersion: Int = Self.dspVersion) -> String {
        let hasher = SHA256Hasher()
        hasher.update(Data("batvision-cache-v\(schemaVersion)\(dspVersion > 1 ? "-dsp\(dspVersion)" : "")|".utf8))
        hasher.update(Data(config.canonicalJSON.utf8))
        hasher.update(Data("|\(manifestDigest)".utf8))
        return hasher.finalizeHex(prefix: 8)
    }
}
