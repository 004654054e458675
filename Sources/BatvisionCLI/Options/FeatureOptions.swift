import ArgumentParser
import Cache
import Foundation
import Ingest

/// The settings that shape the cached features (SPEC section 2); unset ones come from
/// the dataset's conf file.
struct FeatureOptions: ParsableArguments {
    @Option(name: .setting(\.audioFormat), help: .setting(\.audioFormat))
    var audioFormat: AudioFormat?
    @Option(name: .setting(\.maxDepth), help: .setting(\.maxDepth))
    var maxDepth: Nullable<Double>?
    @Option(name: .setting(\.depthNorm), help: .setting(\.depthNorm))
    var depthNorm: BoolSetting?
    @Option(name: .setting(\.imagesSize), help: .setting(\.imagesSize))
    var imagesSize: Int?
    @Option(name: .setting(\.preprocess), help: .setting(\.preprocess))
    var preprocess: Preprocess?
    @Option(name: .setting(\.depthResize), help: .setting(\.depthResize))
    var depthResize: DepthResize?
    @Option(name: .setting(\.audioOffset), help: .setting(\.audioOffset))
    var audioOffset: Int?
    @Option(name: .setting(\.audioCutMs), help: .setting(\.audioCutMs))
    var audioCutMs: Nullable<Double>?

    /// The feature config; `FeatureConfig` holds every rule on it.
    func config(dataset: DatasetKind, _ r: inout SettingsResolver) throws -> FeatureConfig {
        let format = try r.value(\.audioFormat, flag: audioFormat)
        let depth = try r.optional(\.maxDepth, flag: maxDepth)
        let norm = try r.bool(\.depthNorm, flag: depthNorm?.value)
        let size = try r.value(\.imagesSize, flag: imagesSize)
        let pre = try r.value(\.preprocess, flag: preprocess)
        let resize = try r.value(\.depthResize, flag: depthResize)
        let offset = try r.value(\.audioOffset, flag: audioOffset)
        let cut = try r.optional(\.audioCutMs, flag: audioCutMs)
        return try r.checked {
            try FeatureConfig(dataset: dataset, audioFormat: format, maxDepth: depth, depthNorm: norm,
                              imagesSize: size, preprocess: pre, depthResize: resize, audioOffset: offset, audioCutMs: cut)
        }
    }
}
