import Foundation
import Ingest

/// Names inside the HDF5 cache (SPEC section 3), shared by the writer and the reader.
public enum FeatureCacheSchema {
    public static func audio(_ split: Split) -> String { "/\(split.rawValue)/audio" }
    public static func depth(_ split: Split) -> String { "/\(split.rawValue)/depth" }
    public static func sample(_ split: Split) -> String { "/\(split.rawValue)/sample" }

    /// Root attributes: the schema, the dataset and every feature setting. Optional
    /// settings that are unset are written as -1 (cut_samples) or NaN (max_depth).
    static func write(_ config: FeatureConfig, manifestDigest: String, into file: HDF5File) throws {
        let stft = config.stft
        try file.setAttribute("schema_version", CacheLocation.schemaVersion)
        try file.setAttribute("dataset", config.dataset.rawValue)
        try file.setAttribute("audio_format", config.audioFormat.rawValue)
        try file.setAttribute("n_fft", stft.nFFT)
        try file.setAttribute("win_length", stft.winLength)
        try file.setAttribute("hop_length", stft.hopLength)
        try file.setAttribute("n_mels", config.audioFormat == .melSpectrogram ? FeatureConfig.nMels : 0)
        try file.setAttribute("f_min", FeatureConfig.fMin)
        try file.setAttribute("f_max", FeatureConfig.fMax)
        try file.setAttribute("sample_rate", FeatureConfig.sampleRate)
        try file.setAttribute("cut_samples", config.cutSamples ?? -1)
        try file.setAttribute("max_depth", config.maxDepth ?? .nan)
        try file.setAttribute("depth_norm", config.depthNorm ? 1 : 0)
        try file.setAttribute("images_size", config.imagesSize)
        try file.setAttribute("preprocess", config.preprocess.rawValue)
        try file.setAttribute("depth_resize", config.depthResize.rawValue)
        try file.setAttribute("audio_offset", config.audioOffset)
        try file.setAttribute("audio_cut_ms", config.audioCutMs ?? .nan)
        try file.setAttribute("manifest_digest", manifestDigest)
        try file.setAttribute("tool_version", Ingest.toolVersion)
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

    /// The feature config a cache was written with, from its attributes.
    static func read(_ file: HDF5File) throws -> FeatureConfig {
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
        return try FeatureConfig(dataset: ds, audioFormat: fmt, maxDepth: md.isNaN ? nil : md, depthNorm: norm != 0,
                                 imagesSize: size, preprocess: pre, depthResize: resize,
                                 audioOffset: file.intAttribute("audio_offset") ?? 0, audioCutMs: cut.isNaN ? nil : cut)
    }
}
