import Foundation
import Ingest

/// Finds the finished cache for resolved settings (manifest + feature config), or says
/// exactly which featurize command builds it.
public enum CacheResolver {
    /// The featurize command that builds the cache these settings describe.
    public static func featurizeCommand(_ s: Settings) -> String {
        var parts = ["batvision featurize", "--dataset \(s["dataset"] ?? "?")"]
        for key in ["manifest", "cache_dir", "audio_format", "max_depth", "depth_norm", "images_size"] {
            if let v = s[key], !v.isEmpty { parts.append("--\(key) \(v)") }
        }
        return parts.joined(separator: " ")
    }

    /// Settings whose feature keys say `config` (to print the command that builds it).
    public static func settings(_ s: Settings, describing config: FeatureConfig) -> Settings {
        var out = s
        out.set("dataset", config.dataset.rawValue)
        out.set("audio_format", config.audioFormat.rawValue)
        out.set("max_depth", config.maxDepth.map { "\($0)" } ?? "null")
        out.set("depth_norm", config.depthNorm ? "true" : "false")
        out.set("images_size", "\(config.imagesSize)")
        out.set("preprocess", config.preprocess)
        return out
    }

    /// The cache for the settings' feature config, or for `config` and `manifestDigest`
    /// when given (a checkpoint's own), under the settings' cache_dir.
    public static func open(_ given: Settings, config override: FeatureConfig? = nil, manifestDigest: String? = nil) throws -> FeatureCache {
        let s = override.map { settings(given, describing: $0) } ?? given
        let config = try override ?? s.featureConfig()
        let digest: String
        if let manifestDigest {
            digest = manifestDigest
        } else {
            let manifestPath = URL(fileURLWithPath: try s.string("manifest"))
            guard FileManager.default.fileExists(atPath: manifestPath.path) else {
                throw CacheError.cacheMissing(path: manifestPath.path, hint: "No manifest: run `batvision ingest --dataset \(config.dataset.rawValue) --dataset_dir DIR --manifest \(manifestPath.path)`, then `\(featurizeCommand(s))`.")
            }
            digest = try Manifest.load(from: manifestPath).digest
        }
        let location = CacheLocation(cacheDir: URL(fileURLWithPath: try s.string("cache_dir")), config: config,
                                     manifestDigest: digest)
        guard FileManager.default.fileExists(atPath: location.file.path) else {
            throw CacheError.cacheMissing(path: location.file.path, hint: "Build it with:\n  \(featurizeCommand(s))")
        }
        let cache = try FeatureCache(path: location.file)
        guard cache.config == config else {
            throw CacheError.cacheMismatch(path: location.file.path, reason: "its feature settings differ from the requested ones; rebuild with `\(featurizeCommand(s)) --force`")
        }
        return cache
    }
}
