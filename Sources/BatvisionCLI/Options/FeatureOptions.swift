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

    @Option(name: .customLong("depth_resize"), help: ArgumentHelp("How the depth target is resized (default: reference).", discussion: "reference: torchvision's antialiased bilinear over the holes too (what the Batvision loaders do); nearest: the nearest source pixel; valid_area: the area-weighted mean of valid pixels only (0 where none)."))
    var depthResize: DepthResize?

    @Option(name: .customLong("audio_offset"), help: "Samples skipped at the start of each recording (default 0; `batvision stats` shows the onsets).")
    var audioOffset: Int?

    @Option(name: .customLong("audio_cut_ms"), help: "Milliseconds kept after the offset (`null`: the loader's reference window).")
    var audioCutMs: Nullable<Double>?

    func config(dataset: DatasetKind, _ r: inout SettingsResolver) throws -> FeatureConfig {
        let format = try r.value("audio_format", flag: audioFormat)
        let depth = try r.optional("max_depth", flag: maxDepth)
        if let depth {
            try r.require("max_depth", depth, depth > 0 && depth <= FeatureConfig.maxDepthLimit,
                          expected: "metres above 0 and at most \(Int(FeatureConfig.maxDepthLimit)), or null")
        }
        let norm = try r.bool("depth_norm", flag: depthNorm?.value)
        let size = try r.number("images_size", flag: imagesSize, in: 1...4096)
        let pre = try r.value("preprocess", flag: preprocess)
        let resize = try r.value("depth_resize", flag: depthResize)
        let offset = try r.number("audio_offset", flag: audioOffset, in: 0...FeatureConfig.maxAudioOffset)
        let cut = try r.optional("audio_cut_ms", flag: audioCutMs)
        if let cut {
            try r.require("audio_cut_ms", cut, cut >= 1 && cut <= FeatureConfig.maxAudioCutMs, expected: "1 to \(Int(FeatureConfig.maxAudioCutMs)) ms, or null")
        }
        return try r.combined(["audio_format", "max_depth", "depth_norm", "images_size"]) {
            try FeatureConfig(dataset: dataset, audioFormat: format, maxDepth: depth, depthNorm: norm,
                              imagesSize: size, preprocess: pre, depthResize: resize, audioOffset: offset, audioCutMs: cut)
        }
    }
}
