import Foundation
import Ingest

/// Finds the finished cache of a (manifest, feature config) pair, or says exactly which
/// featurize command builds it.
public enum CacheResolver {
    /// The featurize command that builds the cache of `config` for `manifest` under `cacheDir`.
    /// Every feature setting is given, so no conf file can change what it builds.
    public static func featurizeCommand(_ config: FeatureConfig, manifest: URL?, cacheDir: URL) -> String {
        var parts = ["batvision featurize", "--dataset \(config.dataset.rawValue)"]
        if let manifest { parts.append("--manifest \(manifest.path)") }
        parts.append("--cache_dir \(cacheDir.path)")
        parts += config.settingTexts.filter { $0.key != "dataset" }.map { "--\($0.key) \($0.text)" }
        return parts.joined(separator: " ")
    }

    /// The cache of `config` for the manifest at `manifest`.
    public static func open(_ config: FeatureConfig, manifest: URL, cacheDir: URL) throws -> FeatureCache {
        guard FileManager.default.fileExists(atPath: manifest.path) else {
            throw CacheError.cacheMissing(path: manifest.path, hint: "No manifest: run `batvision ingest --dataset \(config.dataset.rawValue) --dataset_dir DIR --manifest \(manifest.path)`, then `\(featurizeCommand(config, manifest: manifest, cacheDir: cacheDir))`.")
        }
        return try open(config, manifestDigest: try Manifest.load(from: manifest).digest, cacheDir: cacheDir, manifest: manifest)
    }

    /// The cache of `config` for a manifest known by its digest (a checkpoint's own);
    /// `manifest` only names the file in the hint.
    public static func open(_ config: FeatureConfig, manifestDigest: String, cacheDir: URL, manifest: URL?) throws -> FeatureCache {
        let location = CacheLocation(cacheDir: cacheDir, config: config, manifestDigest: manifestDigest)
        let command = featurizeCommand(config, manifest: manifest, cacheDir: cacheDir)
        guard FileManager.default.fileExists(atPath: location.file.path) else {
            throw CacheError.cacheMissing(path: location.file.path, hint: "Build it with:\n  \(command)")
        }
        let cache = try FeatureCache(path: location.file)
        guard cache.config == config else {
            throw CacheError.cacheMismatch(path: location.file.path, reason: "its feature settings differ from the requested ones; rebuild with `\(command) --force`")
        }
        return cache
    }
}
