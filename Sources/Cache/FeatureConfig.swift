import Foundation
import Ingest

public enum AudioFormat: String, Codable, CaseIterable, Sendable {
    case spectrogram
    case melSpectrogram = "mel_spectrogram"
    case waveform
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
    public var maxDepth: Double?
    public var depthNorm: Bool
    public var imagesSize: Int
    public var preprocess: Preprocess

    public init(dataset: DatasetKind, audioFormat: AudioFormat, maxDepth: Double?, depthNorm: Bool,
                imagesSize: Int, preprocess: Preprocess = .resize) throws {
        self.dataset = dataset
        self.audioFormat = audioFormat
        self.maxDepth = maxDepth
        self.depthNorm = depthNorm
        self.imagesSize = imagesSize
        self.preprocess = preprocess
        try validate()
    }

    /// What one unit of the cached depth is in metres: max_depth when depth_norm, else 1.
    public var metresPerUnit: Float { depthNorm ? Float(maxDepth ?? 1) : 1 }

    /// Refuses settings the reference cannot run, before any work is done.
    public func validate() throws {
        if dataset == .batvisionv1 && audioFormat == .melSpectrogram {
            throw CacheError.config("batvisionv1 has no mel_spectrogram features: use --audio_format spectrogram or --audio_format waveform")
        }
        if depthNorm && maxDepth == nil {
            throw CacheError.config("--depth_norm true needs --max_depth (depth is divided by it)")
        }
        if let m = maxDepth, !(m > 0 && m <= Self.maxDepthLimit) {
            throw CacheError.config("--max_depth must be above 0 and at most \(Int(Self.maxDepthLimit)) metres, got \(m)")
        }
        guard imagesSize > 0 && imagesSize <= 4096 else {
            throw CacheError.config("--images_size must be between 1 and 4096, got \(imagesSize)")
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

    /// Samples kept from the start of each recording (V2 with max_depth), else nil.
    public var cutSamples: Int? {
        guard dataset == .batvisionv2, let m = maxDepth else { return nil }
        return Int((2 * m / Self.speedOfSound) * Double(Self.sampleRate))
    }

    /// Shape of one sample's audio features: [2, S, S], or [2, L] for waveform.
    public func audioShape(frames: Int) -> [Int] {
        if audioFormat == .waveform { return [2, min(frames, cutSamples ?? frames)] }
        return [2, imagesSize, imagesSize]
    }

    public var depthShape: [Int] { [1, imagesSize, imagesSize] }
}
