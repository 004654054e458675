import ArgumentParser
import Cache
import Foundation
import Ingest

/// The settings that shape the cached features (SPEC section 2); unset ones come from
/// the dataset's conf file.
struct FeatureOptions: ParsableArguments {
    @Option(name: .customLong("audio_format"), help: "The audio features (V1 has no mel_spectrogram).")
    var audioFormat: AudioFormat?

    @Option(name: .customLong("max_depth"), help: "Clip depth at this many metres; `null` for none.")
    var maxDepth: Nullable<Double>?

    @Option(name: .customLong("depth_norm"), help: "true: divide depth by max_depth (Sigmoid head); false: metres (ReLU head).")
    var depthNorm: BoolSetting?

    @Option(name: .customLong("images_size"), help: "Side S of the square features and depth maps.")
    var imagesSize: Int?

    @Option(name: .customLong("preprocess"), help: "How features become S x S images.")
    var preprocess: Preprocess?

    func config(dataset: DatasetKind, _ r: inout SettingsResolver) throws -> FeatureConfig {
        let format = try r.value("audio_format", flag: audioFormat)
        let depth = try r.optional("max_depth", flag: maxDepth)
        if let depth, !(depth > 0 && depth <= FeatureConfig.maxDepthLimit) {
            throw SettingError.invalid(key: "max_depth", value: depth.settingText, origin: r.origin(of: "max_depth"),
                                       expected: "metres above 0 and at most \(Int(FeatureConfig.maxDepthLimit)), or null")
        }
        let norm = try r.bool("depth_norm", flag: depthNorm?.value)
        let size = try r.number("images_size", flag: imagesSize, in: 1...4096)
        let pre = try r.value("preprocess", flag: preprocess)
        return try FeatureConfig(dataset: dataset, audioFormat: format, maxDepth: depth, depthNorm: norm,
                                 imagesSize: size, preprocess: pre)
    }
}
