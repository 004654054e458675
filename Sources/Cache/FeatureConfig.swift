import Foundation
import Ingest
import Support

public enum AudioFormat: String, Codable, CaseIterable, Sendable {
    case spectrogram
    case melSpectrogram = "mel_spectrogram"
    case waveform
}

/// How the depth target is brought to S x S.
public enum DepthResize: String, Codable, CaseIterable, Sendable {
    /// torchvision's bilinear antialiased resize over the map with its holes (0) included,
    /// as the reference loaders do: holes smear into small "depths" at their borders.
    case reference
    /// The nearest source pixel (torch's `nearest`: index floor(dst * in / out)).
    case nearest
    /// The area-weighted mean of the valid (> 0) source pixels in each output pixel's
    /// footprint; 0 where the footprint holds none. Invents no depth.
    case validArea = "valid_area"
}

/// How features and depth become S x S images. The Batvision loaders only resize.
public enum Preprocess: String, Codable, CaseIterable, Sendable {
    case resize
}

/// Every setting that shapes the cached features (SPEC section 2). Two configs that are
/// equal produce identical caches; any difference makes a new cache.
public struct FeatureConfig: Codable, Equatable, Sendable {
    public static let sampleRate = 44100
    public static let speedOfSound = 340.0
    public static let nMels = 32
    public static let fMin = 20.0
    public static let fMax = 20000.0
    /// The largest max_depth accepted: no depth camera sees a kilometre (and the V2 cut
    /// 2 * max_depth / 340 s must stay a sane number of samples).
    public static let maxDepthLimit = 1000.0

    public var dataset: DatasetKind
    public var audioFormat: AudioFormat
    /// Metres; nil means no clipping (and, for V2, the full waveform with the 400/200/100 STFT).
    public private(set) var maxDepth: Double?
    public var depthNorm: Bool
    public var imagesSize: Int
    public var preprocess: Preprocess
    /// Depth target resizing (default: the reference's).
    public var depthResize: DepthResize = .reference
    /// Samples skipped at the start of every recording before the window (default 0).
    public var audioOffset = 0
    /// The window's length in milliseconds after the offset; nil = each loader's reference
    /// window (V2 with max_depth: 2 * max_depth / 340 s; otherwise the whole recording).
    public private(set) var audioCutMs: Double?

    public init(dataset: DatasetKind, audioFormat: AudioFormat, maxDepth: Double?, depthNorm: Bool,
                imagesSize: Int, preprocess: Preprocess = .resize, depthResize: DepthResize = .reference,
                audioOffset: Int = 0, audioCutMs: Double? = nil) throws {
        self.dataset = dataset
        self.audioFormat = audioFormat
        self.maxDepth = maxDepth
        self.depthNorm = depthNorm
        self.imagesSize = imagesSize
        self.preprocess = preprocess
        self.depthResize = depthResize
        self.audioOffset = audioOffset
        self.audioCutMs = audioCutMs
        try validate()
    }

    /// What one unit of the cached depth is in metres: max_depth when depth_norm, else 1.
    public var metresPerUnit: Float { depthNorm ? Float(maxDepth ?? 1) : 1 }

    /// The side S of the square features and depth maps.
    public static let imagesSizes = 1...4096

    /// Refuses settings the reference cannot run, before any work is done: every rule on
    /// the feature settings, once (the command line says where a refused value came from).
    public func validate() throws {
        if dataset == .batvisionv1 && audioFormat == .melSpectrogram {
            throw SettingViolation(combining: ["audio_format", "dataset"], "batvisionv1 has no mel_spectrogram features: use --audio_format spectrogram or --audio_format waveform")
        }
        if depthNorm && maxDepth == nil {
            throw SettingViolation(combining: ["depth_norm", "max_depth"], "--depth_norm true needs --max_depth (depth is divided by it)")
        }
        if let m = maxDepth, !(m > 0 && m <= Self.maxDepthLimit) {
            throw SettingViolation("max_depth", pythonFloat(m), expected: "metres above 0 and at most \(Int(Self.maxDepthLimit)), or null")
        }
        guard (0...Self.maxAudioOffset).contains(audioOffset) else {
            throw SettingViolation("audio_offset", audioOffset, expected: "a value from 0 to \(Self.maxAudioOffset)")
        }
        if let t = audioCutMs, !(t >= 1 && t <= Self.maxAudioCutMs) {
            throw SettingViolation("audio_cut_ms", pythonFloat(t), expected: "1 to \(Int(Self.maxAudioCutMs)) ms, or null")
        }
        guard Self.imagesSizes.contains(imagesSize) else {
            throw SettingViolation("images_size", imagesSize, expected: "a value from \(Self.imagesSizes.lowerBound) to \(Self.imagesSizes.upperBound)")
        }
    }

    /// The STFT of the reference loaders: V1 512/64/16; V2 512/64/16 on the first
    /// 2 * max_depth / 340 s of audio, or 400/200/100 on all of it without max_depth.
    /// mel_spectrogram uses hop = win_length / 2 (torchaudio's default, as the reference).
    public var stft: STFTParameters {
        var p: STFTParameters
        if dataset == .batvisionv2 && maxDepth == nil {
            p = STFTParameters(nFFT: 400, winLength: 200, hopLength: 100)
        } else {
            p = STFTParameters(nFFT: 512, winLength: 64, hopLength: 16)
        }
        if audioFormat == .melSpectrogram { p.hopLength = p.winLength / 2 }
        return p
    }

    public static let maxAudioOffset = 10 * 44100
    public static let maxAudioCutMs = 10_000.0

    /// Samples kept after the offset: `--audio_cut_ms`, else the V2 loader's cut (with
    /// max_depth), else nil (all of it).
    public var cutSamples: Int? {
        if let t = audioCutMs { return Int(t / 1000 * Double(Self.sampleRate)) }
        guard dataset == .batvisionv2, let m = maxDepth else { return nil }
        return Int((2 * m / Self.speedOfSound) * Double(Self.sampleRate))
    }

    /// The samples of a recording of `frames` that the features use: from `audioOffset`,
    /// at most `cutSamples` of them.
    public func window(frames: Int) -> Range<Int> {
        let start = min(audioOffset, frames)
        let length = min(frames - start, cutSamples ?? (frames - start))
        return start..<(start + length)
    }

    /// Shape of one sample's audio features: [2, S, S], or [2, L] for waveform.
    public func audioShape(frames: Int) -> [Int] {
        if audioFormat == .waveform { return [2, window(frames: frames).count] }
        return [2, imagesSize, imagesSize]
    }

    public var depthShape: [Int] { [1, imagesSize, imagesSize] }
}

extension FeatureConfig {
    /// The one encoding of a feature config: JSON with sorted keys and no spaces, the
    /// options added after the first caches left out at their reference values (see
    /// `encode(to:)`). Every cache key hashes these bytes, and every cache stores them as
    /// its `feature_config` attribute, which Swift and Python read to know what a cache
    /// holds. Frozen: a change here changes every key.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // JSONEncoder throws only for a NaN or infinite Double, and none can be here: the two
        // Doubles are set only by the validating initialisers (private(set); JSON decoding
        // yields finite numbers and is validated too), and validate() refuses both.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Every feature setting as its key (the flag's name) and its value as text, unset
    /// ones as `null`, in key order: what `featurize` flags pin this config to. From the
    /// same encoding as `canonicalJSON`, with nothing left out.
    public var settingTexts: [(key: String, text: String)] {
        let encoder = JSONEncoder()
        encoder.userInfo[Self.everySetting] = true
        let values = (try? JSONDecoder().decode([String: SettingText].self, from: try encoder.encode(self))) ?? [:]
        return values.map { (key: $0.key.snakeCased, text: $0.value.text) }.sorted { $0.key < $1.key }
    }

    static let everySetting = CodingUserInfoKey(rawValue: "batvision.everyFeatureSetting")!

    /// A JSON scalar as a setting's text: "true", "30", "mel_spectrogram", "null".
    private struct SettingText: Decodable {
        let text: String
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { text = "null" } else if let b = try? c.decode(Bool.self) { text = "\(b)" } else if let i = try? c.decode(Int.self) {
                text = "\(i)"
            } else if let d = try? c.decode(Double.self) { text = pythonFloat(d) } else { text = try c.decode(String.self) }
        }
    }

    /// The config a canonical JSON holds, checked like any other.
    public init(canonicalJSON text: String) throws {
        self = try JSONDecoder().decode(FeatureConfig.self, from: Data(text.utf8))
        try validate()
    }

    enum CodingKeys: String, CodingKey {
        case dataset, audioFormat, maxDepth, depthNorm, imagesSize, preprocess, depthResize, audioOffset, audioCutMs
    }

    /// The options added after the first caches are written only when they differ from the
    /// reference, so a reference config encodes (and so keys its cache) exactly as before.
    /// (With `everySetting` in the encoder's userInfo, nothing is left out and unset values
    /// are null: `settingTexts`.)
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let every = encoder.userInfo[Self.everySetting] as? Bool == true
        try c.encode(dataset, forKey: .dataset)
        try c.encode(audioFormat, forKey: .audioFormat)
        if every { try c.encode(maxDepth, forKey: .maxDepth) } else { try c.encodeIfPresent(maxDepth, forKey: .maxDepth) }
        try c.encode(depthNorm, forKey: .depthNorm)
        try c.encode(imagesSize, forKey: .imagesSize)
        try c.encode(preprocess, forKey: .preprocess)
        if every || depthResize != .reference { try c.encode(depthResize, forKey: .depthResize) }
        if every || audioOffset != 0 { try c.encode(audioOffset, forKey: .audioOffset) }
        if every { try c.encode(audioCutMs, forKey: .audioCutMs) } else { try c.encodeIfPresent(audioCutMs, forKey: .audioCutMs) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataset = try c.decode(DatasetKind.self, forKey: .dataset)
        audioFormat = try c.decode(AudioFormat.self, forKey: .audioFormat)
        maxDepth = try c.decodeIfPresent(Double.self, forKey: .maxDepth)
        depthNorm = try c.decode(Bool.self, forKey: .depthNorm)
        imagesSize = try c.decode(Int.self, forKey: .imagesSize)
        preprocess = try c.decode(Preprocess.self, forKey: .preprocess)
        depthResize = try c.decodeIfPresent(DepthResize.self, forKey: .depthResize) ?? .reference
        audioOffset = try c.decodeIfPresent(Int.self, forKey: .audioOffset) ?? 0
        audioCutMs = try c.decodeIfPresent(Double.self, forKey: .audioCutMs)
    }
}

extension String {
    /// `audioCutMs` -> `audio_cut_ms`: a JSON name as the setting's key.
    var snakeCased: String {
        var out = ""
        for ch in self {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}
