import Crypto
import Foundation
import Ingest

/// Where the cache of one (manifest, feature config) pair lives:
/// `<cache_dir>/<dataset>/<key>/features.h5`, the key a short hash of both.
public struct CacheLocation: Sendable {
    public static let schemaVersion = 1

    public let directory: URL
    public let key: String

    public init(cacheDir: URL, config: FeatureConfig, manifestDigest: String) {
        key = Self.key(config: config, manifestDigest: manifestDigest)
        directory = cacheDir.appendingPathComponent(config.dataset.rawValue).appendingPathComponent(key)
    }

    /// The finished cache; it only ever appears complete (renamed from `partial`).
    public var file: URL { directory.appendingPathComponent("features.h5") }
    /// The cache being written.
    public var partial: URL { directory.appendingPathComponent("features.h5.partial") }
    /// How far the partial file is known to be written (flushed) per split.
    public var progress: URL { directory.appendingPathComponent("progress.json") }

    static func key(config: FeatureConfig, manifestDigest: String) -> String {
        // Frozen, not JSONCoding's encoder: every existing cache's key depends on these bytes.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configJSON = (try? encoder.encode(config)) ?? Data()
        var hasher = SHA256()
        hasher.update(data: Data("batvision-cache-v\(schemaVersion)|".utf8))
        hasher.update(data: configJSON)
        hasher.update(data: Data("|\(manifestDigest)".utf8))
        return hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
