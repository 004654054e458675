import Cache
import Foundation
import Ingest
import Support
import Testing
import TestSupport

/// The feature options researchers use to see and remove the reference's effects
/// (`--depth_resize`, `--audio_offset`, `--audio_cut_ms`), pinned on hand-made inputs; their
/// reference defaults leave the cache key (and so every existing cache) unchanged.
@Suite struct ProtocolOptionTests {
    func config(_ resize: DepthResize = .reference, offset: Int = 0, cut: Double? = nil, format: AudioFormat = .waveform,
                size: Int = 2) throws -> FeatureConfig {
        try FeatureConfig(dataset: .batvisionv2, audioFormat: format, maxDepth: 30, depthNorm: false, imagesSize: size,
                          depthResize: resize, audioOffset: offset, audioCutMs: cut)
    }

    @Test func referenceDefaultsKeepTheKeyAndOtherValuesChangeIt() throws {
        let reference = try FeatureConfig(dataset: .batvisionv2, audioFormat: .melSpectrogram, maxDepth: 30, depthNorm: false, imagesSize: 256)
        #expect(CacheLocation.key(config: reference, manifestDigest: "d1") == "f2f39e35c9c4fdef")
        var keys = Set<String>()
        for resize in DepthResize.allCases {
            for (offset, cut) in [(0, nil), (980, nil), (0, 72.5)] as [(Int, Double?)] {
                let c = try FeatureConfig(dataset: .batvisionv2, audioFormat: .melSpectrogram, maxDepth: 30, depthNorm: false, imagesSize: 256,
                                          depthResize: resize, audioOffset: offset, audioCutMs: cut)
                keys.insert(CacheLocation.key(config: c, manifestDigest: "d1"))
            }
        }
        #expect(keys.count == 9 && keys.contains("f2f39e35c9c4fdef"))
        // A checkpoint's JSON of a reference config is what it always was.
        let json = String(decoding: try JSONCoding.encoder().encode(reference), as: UTF8.self)
        #expect(json == #"{"audioFormat":"mel_spectrogram","dataset":"batvisionv2","depthNorm":false,"imagesSize":256,"maxDepth":30,"preprocess":"resize"}"#)
    }

    /// 4x4 millimetres (a 0 = hole) to 2x2 metres, worked out by hand.
    @Test func depthResizeModes() throws {
        let mm: [Float] = [1000, 2000, 3000, 4000,
                           0, 2000, 3000, 0,
                           5000, 6000, 0, 0,
                           7000, 8000, 0, 0]
        func target(_ resize: DepthResize) throws -> [Float] {
            let extractor = FeatureExtractor(config: try config(resize))
            return extractor.depth(mm, height: 4, width: 4, workspace: extractor.makeWorkspace())
        }
        // nearest: sources (0,0), (0,2), (2,0), (2,2).
        #expect(try target(.nearest) == [1, 3, 5, 0])
        // valid_area: each output is the mean of its 2x2 block's valid pixels.
        #expect(try target(.validArea) == [Float((1 + 2 + 2) / 3.0), Float((3 + 4 + 3) / 3.0), Float(26.0 / 4), 0])
        // reference: the triangle filter (support 2) reaches valid pixels beyond the block: the
        // bottom-right output gets a depth although its own block holds none (an invented pixel).
        let reference = try target(.reference)
        #expect(reference[3] > 0)
    }

    /// valid_area on a non-integer scale: area weights of partly covered pixels.
    @Test func validAreaWeighsPartialPixels() throws {
        // 3 columns to 2: output 0 covers column 0 and half of column 1; output 1 the other half and column 2.
        let extractor = FeatureExtractor(config: try config(.validArea, size: 2))
        let mm: [Float] = [1000, 2000, 0, 1000, 2000, 0, 1000, 2000, 0]  // 3x3, third column a hole
        let out = extractor.depth(mm, height: 3, width: 3, workspace: extractor.makeWorkspace())
        #expect(abs(out[0] - Float((1 * 1 + 2 * 0.5) / 1.5)) < 1e-6)
        #expect(out[1] == 2)  // only the valid half of column 1 counts
    }

    /// The window of the recording: skip `audio_offset` samples, keep `audio_cut_ms`.
    @Test func audioOffsetAndCut() throws {
        let frames = 9000
        let left = (0..<frames).map { Float($0) }, right = left.map { -$0 }
        let clip = AudioClip(channels: 2, sampleRate: 44100, frames: frames, encoding: "test", samples: left + right)
        func waveform(_ c: FeatureConfig) throws -> [Float] {
            let e = FeatureExtractor(config: c)
            return try e.audio(clip, workspace: e.makeWorkspace())
        }
        // Reference V2 (max_depth 30): the first 7782 samples.
        let reference = try waveform(try config())
        #expect(reference.count == 2 * 7782 && reference[0] == 0 && reference[7781] == 7781 && reference[7782] == 0)
        // Offset 980: the same 7782 samples, from 980.
        let shifted = try waveform(try config(offset: 980))
        #expect(shifted.count == 2 * 7782 && shifted[0] == 980 && shifted[7781] == 8761 && shifted[7782] == -980)
        // Offset 2000: 2000 + 7782 passes the end: the 7000 samples left.
        let late = try waveform(try config(offset: 2000))
        #expect(late.count == 2 * 7000 && late[0] == 2000 && late[6999] == 8999)
        // 72.5 ms after an offset of 100: 3197 samples from 100.
        let cut = try waveform(try config(offset: 100, cut: 72.5))
        #expect(cut.count == 2 * 3197 && cut[0] == 100 && cut[3196] == 3296)
        // Spectrograms take the same window: the offset version equals the reference of the shifted clip.
        let shiftedClip = AudioClip(channels: 2, sampleRate: 44100, frames: frames - 980, encoding: "test",
                                    samples: Array(left.dropFirst(980)) + Array(right.dropFirst(980)))
        let e1 = FeatureExtractor(config: try config(offset: 980, format: .spectrogram, size: 32))
        let e2 = FeatureExtractor(config: try config(format: .spectrogram, size: 32))
        #expect(try e1.audio(clip, workspace: e1.makeWorkspace()) == e2.audio(shiftedClip, workspace: e2.makeWorkspace()))
    }
}
