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
        // Frozen, not JSONCoding's encoder: every existing cache's key depends on these bytes.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configJSON = (try? encoder.encode(config)) ?? Data()
        let hasher = SHA256Hasher()
        hasher.update(Data("batvision-cache-v\(schemaVersion)\(dspVersion > 1 ? "-dsp\(dspVersion)" : "")|".utf8))
        hasher.update(configJSON)
        hasher.update(Data("|\(manifestDigest)".utf8))
        return hasher.finalizeHex(prefix: 8)
    }
}

/// One HDF5 file featurize writes (the whole cache or a shard), with its companions: the
/// partial file it is written as, its progress record and its writer's lock.
public struct CacheFiles: Sendable, Equatable {
    public let file: URL
    public let partial: URL
    public let progress: URL
    public let lock: URL

    /// The name of a finished cache in its key folder.
    public static let fileName = "features.h5"

    /// The whole cache of the key folder `directory`.
    public static func whole(in directory: URL) -> CacheFiles {
        CacheFiles(file: directory.appendingPathComponent(fileName), progressName: "progress.json")
    }

    /// A cache given by the user: a features.h5, or the key folder holding one.
    public static func file(given path: String) -> URL {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else { return url }
        return url.appendingPathComponent(fileName)
    }

    init(file: URL, progressName: String) {
        self.file = file
        partial = file.appendingPathExtension("partial")
        progress = file.deletingLastPathComponent().appendingPathComponent(progressName)
        lock = file.appendingPathExtension("lock")
    }
}

/// Shard K of N of a manifest's samples: the samples in cache order (train, then val,
/// then test, each in manifest order) cut into N contiguous ranges, shard K holding
/// [K * T / N, (K + 1) * T / N). The same N gives the same cut on every machine.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// At most this many shards (a shard per sample of the real V1 set is already ~50k).
    public static let maxCount = 100_000

    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= Self.maxCount, index >= 0, index < count else {
            throw CacheError.config("shard \(index)/\(count): expected K/N with 0 <= K < N <= \(Self.maxCount)")
        }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// The global sample range of this shard among `total` samples.
    public func range(of total: Int) -> Range<Int> { (index * total / count)..<((index + 1) * total / count) }
}
