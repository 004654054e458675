import Foundation
import Ingest
import Support

/// Names inside the HDF5 cache (SPEC section 3), shared by the writer and the reader.
public enum FeatureCacheSchema {
    public static func audio(_ split: Split) -> String { "/\(split.rawValue)/audio" }
    public static func depth(_ split: Split) -> String { "/\(split.rawValue)/depth" }
    public static func sample(_ split: Split) -> String { "/\(split.rawValue)/sample" }

    /// The attribute holding the feature config's canonical JSON (`FeatureConfig.canonicalJSON`).
    public static let featureConfigAttribute = "feature_config"

    /// One root attribute's value.
    enum AttributeValue: Equatable {
        case int(Int), double(Double), string(String)
    }

    /// The flat attributes a feature config is described by, for people and for readers
    /// of the first caches, all derived from the config: the STFT it implies, the cut,
    /// and every setting. Unset optional settings are -1 (cut_samples) or NaN (max_depth,
    /// audio_cut_ms).
    static func flatAttributes(_ config: FeatureConfig) -> [(name: String, value: AttributeValue)] {
        let stft = config.stft
        return [("dataset", .string(config.dataset.rawValue)), ("audio_format", .string(config.audioFormat.rawValue)),
                ("n_fft", .int(stft.nFFT)), ("win_length", .int(stft.winLength)), ("hop_length", .int(stft.hopLength)),
                ("n_mels", .int(config.audioFormat == .melSpectrogram ? FeatureConfig.nMels : 0)),
                ("f_min", .double(FeatureConfig.fMin)), ("f_max", .double(FeatureConfig.fMax)),
                ("sample_rate", .int(FeatureConfig.sampleRate)), ("cut_samples", .int(config.cutSamples ?? -1)),
                ("max_depth", .double(config.maxDepth ?? .nan)), ("depth_norm", .int(config.depthNorm ? 1 : 0)),
                ("images_size", .int(config.imagesSize)), ("preprocess", .string(config.preprocess.rawValue)),
                ("depth_resize", .string(config.depthResize.rawValue)), ("audio_offset", .int(config.audioOffset)),
                ("audio_cut_ms", .double(config.audioCutMs ?? .nan))]
    }

    /// Root attributes: the schema, the flat description of the features, the manifest's
    /// digest, the tool's version, and the feature config's canonical JSON.
    static func write(_ config: FeatureConfig, manifestDigest: String, into file: HDF5File) throws {
        try file.setAttribute("schema_version", CacheLocation.schemaVersion)
        for (name, value) in flatAttributes(config) {
            switch value {
            case let .int(v): try file.setAttribute(name, v)
            case let .double(v): try file.setAttribute(name, v)
            case let .string(v): try file.setAttribute(name, v)
            }
        }
        try file.setAttribute("manifest_digest", manifestDigest)
        try file.setAttribute("tool_version", Ingest.toolVersion)
        try file.setAttribute(featureConfigAttribute, config.canonicalJSON)
    }

    /// A shard's place among the samples: `shard_index`, `shard_count`, `sample_start`,
    /// `sample_end` (its global range in cache order).
    static func writeShard(_ shard: ShardSpec, samples: Range<Int>, into file: HDF5File) throws {
        try file.setAttribute("shard_index", shard.index)
        try file.setAttribute("shard_count", shard.count)
        try file.setAttribute("sample_start", samples.lowerBound)
        try file.setAttribute("sample_end", samples.upperBound)
    }

    /// The shard a file holds, or nil for a whole cache.
    static func readShard(_ file: HDF5File) -> ShardSpec? {
        guard let k = file.intAttribute("shard_index"), let n = file.intAttribute("shard_count") else { return nil }
        return try? ShardSpec(index: k, count: n)
    }

    /// The feature config a cache was written with: its canonical JSON, which the flat
    /// attributes must agree with; the flat attributes alone in caches written before it.
    static func read(_ file: HDF5File) throws -> FeatureConfig {
        guard let json = file.stringAttribute(featureConfigAttribute) else { return try readFlat(file) }
        let config: FeatureConfig
        do { config = try FeatureConfig(canonicalJSON: json) } catch {
            throw CacheError.cacheMismatch(path: file.path, reason: "attribute \(featureConfigAttribute) is not a feature config (\(clipped(plainReason(error), limit: 200)))")
        }
        for (name, value) in flatAttributes(config) where !file.holds(name, value) {
            throw CacheError.cacheMismatch(path: file.path, reason: "attribute \(name) disagrees with \(featureConfigAttribute) \(quoted(json)): the file was edited; featurize it again")
        }
        return config
    }

    /// The config of a cache written before `feature_config`, from its flat attributes.
    static func readFlat(_ file: HDF5File) throws -> FeatureConfig {
        func fail(_ what: String) -> CacheError { .cacheMismatch(path: file.path, reason: "attribute \(what) is missing or invalid") }
        guard let ds = file.stringAttribute("dataset").flatMap(DatasetKind.init(rawValue:)) else { throw fail("dataset") }
        guard let fmt = file.stringAttribute("audio_format").flatMap(AudioFormat.init(rawValue:)) else { throw fail("audio_format") }
        guard let md = file.doubleAttribute("max_depth") else { throw fail("max_depth") }
        guard let norm = file.intAttribute("depth_norm") else { throw fail("depth_norm") }
        guard let size = file.intAttribute("images_size") else { throw fail("images_size") }
        guard let pre = file.stringAttribute("preprocess").flatMap(Preprocess.init(rawValue:)) else { throw fail("preprocess") }
        // Caches written before these options were reference caches.
        guard let resize = DepthResize(rawValue: file.stringAttribute("depth_resize") ?? "reference") else { throw fail("depth_resize") }
        let cut = file.doubleAttribute("audio_cut_ms") ?? .nan
        do {
            return try FeatureConfig(dataset: ds, audioFormat: fmt, maxDepth: md.isNaN ? nil : md, depthNorm: norm != 0,
                                     imagesSize: size, preprocess: pre, depthResize: resize,
                                     audioOffset: file.intAttribute("audio_offset") ?? 0, audioCutMs: cut.isNaN ? nil : cut)
        } catch {
            throw CacheError.cacheMismatch(path: file.path, reason: "its feature attributes are not a valid config: \(plainReason(error))")
        }
    }
}

extension HDF5File {
    /// Whether the root attribute `name` holds `value` (NaN equals NaN).
    func holds(_ name: String, _ value: FeatureCacheSchema.AttributeValue) -> Bool {
        switch value {
        case let .int(v): return intAttribute(name) == v
        case let .string(v): return stringAttribute(name) == v
        case let .double(v):
            guard let stored = doubleAttribute(name) else { return false }
            return stored == v || (stored.isNaN && v.isNaN)
        }
    }
}
