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

    public static func open(_ s: Settings) throws -> FeatureCache {
        let config = try s.featureConfig()
        let manifestPath = URL(fileURLWithPath: try s.string("manifest"))
        guard FileManager.default.fileExists(atPath: manifestPath.path) else {
            throw CacheError.cacheMissing(path: manifestPath.path, hint: "No manifest: run `batvision ingest --dataset \(config.dataset.rawValue) --dataset_dir DIR --manifest \(manifestPath.path)`, then `\(featurizeCommand(s))`.")
        }
        let manifest = try Manifest.load(from: manifestPath)
        let location = CacheLocation(cacheDir: URL(fileURLWithPath: try s.string("cache_dir")), config: config,
                                     manifestDigest: manifest.digest)
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
