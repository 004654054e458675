import Foundation
import Ingest
import Support

/// Checks a finished cache against its manifest and config: completeness, attributes,
/// counts, sample ids, shapes, NaN/Inf; optionally recomputes random samples from the raw
/// files and compares them with what is stored.
public struct CacheValidator {
    public var cachePath: URL
    public var manifest: Manifest
    public var root: DatasetRoot?
    public var recheck: Int
    public var seed: UInt64

    public init(cachePath: URL, manifest: Manifest, root: DatasetRoot?, recheck: Int = 0, seed: UInt64 = 0) {
        self.cachePath = cachePath
        self.manifest = manifest
        self.root = root
        self.recheck = recheck
        self.seed = seed
    }

    public static let requiredAttributes = ["schema_version", "dataset", "audio_format", "n_fft", "win_length",
                                            "hop_length", "n_mels", "f_min", "f_max", "sample_rate", "cut_samples",
                                            "max_depth", "depth_norm", "images_size", "preprocess", "manifest_digest",
                                            "tool_version", "complete"]

    /// Findings, one line each; empty when the cache is sound.
    public func run() throws -> [String] {
        var findings: [String] = []
        let cache: FeatureCache
        do { cache = try FeatureCache(path: cachePath) } catch { return ["\(error)"] }
        let attrs = Set(cache.attributeNames)
        for name in Self.requiredAttributes where !attrs.contains(name) { findings.append("attribute \(name) is missing") }
        if cache.manifestDigest != manifest.digest {
            findings.append("manifest digest \(cache.manifestDigest.prefix(16)) differs from the manifest's \(manifest.shortDigest): the cache was built from another dataset state")
        }
        if cache.config.dataset != manifest.dataset {
            findings.append("cache is for \(cache.config.dataset.rawValue), the manifest for \(manifest.dataset.rawValue)")
        }
        let expectedDepth = cache.config.depthShape
        if cache.depthShape != expectedDepth { findings.append("depth shape \(cache.depthShape), expected \(expectedDepth)") }
        if cache.config.audioFormat != .waveform && cache.audioShape != [2, cache.config.imagesSize, cache.config.imagesSize] {
            findings.append("audio shape \(cache.audioShape), expected [2, \(cache.config.imagesSize), \(cache.config.imagesSize)]")
        }
        for split in Split.allCases {
            let expected = manifest.samples(in: split).map(\.id)
            let n = cache.count(split)
            if n != expected.count { findings.append("\(split.rawValue): \(n) samples, the manifest has \(expected.count)"); continue }
            if try cache.sampleIds(split) != expected { findings.append("\(split.rawValue): sample ids differ from the manifest's order") }
            var bad = 0
            for i in 0..<n {
                let (a, d) = try cache.sample(split, i)
                if a.contains(where: { !$0.isFinite }) || d.contains(where: { !$0.isFinite }) {
                    bad += 1
                    if bad <= 5 { findings.append("\(split.rawValue)[\(i)] (\(expected[i])) holds NaN or Inf") }
                }
            }
            if bad > 5 { findings.append("\(split.rawValue): \(bad) samples hold NaN or Inf in all") }
        }
        if recheck > 0 {
            guard let root else { return findings + ["--recheck needs the dataset (--dataset_dir)"] }
            findings += try recompute(cache: cache, root: root)
        }
        return findings
    }

    private func recompute(cache: FeatureCache, root: DatasetRoot) throws -> [String] {
        var rng = SeededRandom(seed: seed, stream: 0xC4EC)
        let all = manifest.samples.enumerated().map { $0 }
        let picks = Array(all.shuffled(using: &rng).prefix(recheck))
        let featurizer = Featurizer(manifest: manifest, root: root, config: cache.config, cacheDir: cachePath.deletingLastPathComponent())
        let extractor = FeatureExtractor(config: cache.config)
        let ws = extractor.makeWorkspace()
        var findings: [String] = []
        for (_, sample) in picks {
            guard let index = manifest.samples(in: sample.split).firstIndex(where: { $0.id == sample.id }) else { continue }
            let a: [Float], d: [Float]
            do {
                (a, d) = try featurizer.features(of: sample, extractor: extractor, workspace: ws)
            } catch let CacheError.changedSince(_, files) {
                findings += files.map { "\($0.sample): \($0.path) changed since ingest (its SHA-256 differs from the manifest's): the cache cannot be rechecked against it" }
                continue
            }
            let stored = try cache.sample(sample.split, index)
            if stored.audio != a { findings.append("\(sample.id): stored audio features differ from a recomputation") }
            if stored.depth != d { findings.append("\(sample.id): stored depth differs from a recomputation") }
        }
        return findings
    }
}
