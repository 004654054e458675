import Cache
import Foundation
import Ingest
import Testing
import TestSupport

/// Every DSP case of the goldens' index.json (computed by torchaudio/torchvision) at SPEC's
/// tolerances: features within 1e-4 of the array's max magnitude, depth within 1e-5.
@Suite struct DSPGoldenTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let fields: [String: String]
        var testDescription: String { fields["features"] ?? fields["output"] ?? "?" }
    }

    static func cases(resizeOnly: Bool) -> [Case] {
        guard let dsp = (try? Fixtures.index())?["dsp"] as? [[String: Any]] else { return [] }
        return dsp.filter { ($0["resize_only"] as? Bool ?? false) == resizeOnly }.map { entry in
            Case(fields: entry.mapValues { value in
                if value is NSNull { return "null" }
                if let d = value as? [String: Any] { return d.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }
                return "\(value)"
            })
        }
    }

    @Test func theIndexListsAllTwelveCases() {
        #expect(Self.cases(resizeOnly: false).count == 7)
        #expect(Self.cases(resizeOnly: true).count == 5)
    }

    static func source(_ name: String) throws -> (AudioClip, NPYArray) {
        if name == "bv2_real" {
            return (try AudioDecoder.decode(contentsOf: Fixtures.realWAV), try NPYArray(contentsOf: Fixtures.realDepth))
        }
        let left = try Fixtures.npy("goldens/dsp/bv1_synth.left.npy").values
        let right = try Fixtures.npy("goldens/dsp/bv1_synth.right.npy").values
        let clip = AudioClip(channels: 2, sampleRate: 44100, frames: left.count, encoding: "float32", samples: left + right)
        return (clip, try NPYArray(contentsOf: Fixtures.url("goldens/dsp/bv1_synth.depth_mm.npy")))
    }

    @Test(arguments: cases(resizeOnly: false))
    func featuresAndDepthMatchTheReference(_ c: Case) throws {
        let f = c.fields
        let dataset = try #require(DatasetKind(rawValue: f["dataset"] ?? ""))
        let format = try #require(AudioFormat(rawValue: f["audio_format"] ?? ""))
        let maxDepth = f["max_depth"].flatMap(Double.init)
        let config = try FeatureConfig(dataset: dataset, audioFormat: format, maxDepth: maxDepth,
                                       depthNorm: f["depth_norm"] == "1" || f["depth_norm"] == "true",
                                       imagesSize: try #require(Int(f["images_size"] ?? "")))
        // The golden's STFT parameters are the ones the config derives.
        let stft = f["stft"] ?? ""
        #expect(stft.contains("n_fft=\(config.stft.nFFT)") && stft.contains("win_length=\(config.stft.winLength)"))
        #expect(stft.contains("cut_samples=\(config.cutSamples.map(String.init) ?? "<null>")"))

        let (clip, depthArr) = try Self.source(try #require(f["source"]))
        let extractor = FeatureExtractor(config: config)
        let ws = extractor.makeWorkspace()

        let raw = try extractor.unresizedAudio(clip, workspace: ws)
        let goldenRaw = try Fixtures.npy("goldens/dsp/\(try #require(f["features_unresized"]))")
        #expect(raw.shape == goldenRaw.shape)
        #expect(maxRelativeError(raw.values, goldenRaw.values) < 1e-4)

        let features = try extractor.audio(clip, workspace: ws)
        let golden = try Fixtures.npy("goldens/dsp/\(try #require(f["features"]))")
        #expect(features.count == golden.values.count)
        let featureError = maxRelativeError(features, golden.values)
        #expect(featureError < 1e-4, "relative error \(featureError)")

        let depth = extractor.depth(depthArr.floats(), height: depthArr.shape[0], width: depthArr.shape[1], workspace: ws)
        let goldenDepth = try Fixtures.npy("goldens/dsp/\(try #require(f["depth"]))")
        #expect(goldenDepth.shape == [1, config.imagesSize, config.imagesSize])
        let depthError = maxAbsoluteError(depth, goldenDepth.values)
        #expect(depthError < 1e-5, "absolute depth error \(depthError)")
        // The featurizer's path: rows converted from the stored dtype on the fly.
        var fused = [Float](repeating: -1, count: depth.count)
        try fused.withUnsafeMutableBufferPointer { try extractor.depth(depthArr, into: $0, workspace: ws) }
        #expect(throws: CacheError.self) {
            var out = [Float](repeating: 0, count: 4)
            try out.withUnsafeMutableBufferPointer { try extractor.depth(depthArr, into: $0, workspace: ws) }
        }
        #expect(maxAbsoluteError(fused, goldenDepth.values) < 1e-5)
        #expect(fused == depth)
    }

    @Test(arguments: cases(resizeOnly: true))
    func resizeAloneMatchesTorchvision(_ c: Case) throws {
        let input = try Fixtures.npy("goldens/dsp/\(try #require(c.fields["input"]))")
        let golden = try Fixtures.npy("goldens/dsp/\(try #require(c.fields["output"]))")
        let s = try #require(Int(c.fields["images_size"] ?? ""))
        let (ch, h, w) = (input.shape[0], input.shape[1], input.shape[2])
        let r = AntialiasResize(inputHeight: h, inputWidth: w, outputHeight: s, outputWidth: s)
        var out = [Float](repeating: 0, count: ch * s * s)
        var scratch: [Float] = []
        input.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for k in 0..<ch {
                    r.run(UnsafeBufferPointer(rebasing: src[(k * h * w)..<((k + 1) * h * w)]),
                          into: UnsafeMutableBufferPointer(rebasing: dst[(k * s * s)..<((k + 1) * s * s)]), scratch: &scratch)
                }
            }
        }
        let err = maxRelativeError(out, golden.values)
        #expect(err < 1e-4, "relative error \(err)")
        // Resizing in float32 like PyTorch lands within a few ulps of it.
        #expect(maxAbsoluteError(out, golden.values) < 1e-5)
    }

    @Test func v1MelIsRefusedNamingTheFormatsV1Supports() {
        do {
            _ = try FeatureConfig(dataset: .batvisionv1, audioFormat: .melSpectrogram, maxDepth: 12, depthNorm: true, imagesSize: 256)
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("spectrogram") && "\(error)".contains("waveform"))
        }
    }
}
