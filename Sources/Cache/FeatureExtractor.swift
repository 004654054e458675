import Foundation
import Ingest

/// Turns one sample (decoded audio, depth in millimetres) into the cached tensors.
/// Create once per config (plans the FFT); each thread uses its own `Workspace`.
public final class FeatureExtractor: @unchecked Sendable {
    public let config: FeatureConfig
    let spectrogram: SpectrogramTransform
    let mel: MelFilterbank?
    let depthTarget: DepthTarget

    public init(config: FeatureConfig) {
        self.config = config
        let p = config.stft
        spectrogram = SpectrogramTransform(p)
        mel = config.audioFormat == .melSpectrogram
            ? MelFilterbank(nFreqs: p.bins, fMin: FeatureConfig.fMin, fMax: FeatureConfig.fMax,
                            nMels: FeatureConfig.nMels, sampleRate: FeatureConfig.sampleRate)
            : nil
        depthTarget = DepthTarget(config: config)
    }

    /// Per-thread buffers: the FFT's, resize plans by input shape, scratch planes.
    public final class Workspace {
        let fft: RealFFT.Workspace
        var resizes: [String: AntialiasResize] = [:]
        var scratch: [Float] = []
        var plane: [Float] = []
        var melPlane: [Float] = []

        init(fft: RealFFT.Workspace) { self.fft = fft }

        func resize(_ h: Int, _ w: Int, to s: Int) -> AntialiasResize {
            let key = "\(h)x\(w)>\(s)"
            if let r = resizes[key] { return r }
            let r = AntialiasResize(inputHeight: h, inputWidth: w, outputHeight: s, outputWidth: s)
            resizes[key] = r
            return r
        }
    }

    public func makeWorkspace() -> Workspace { Workspace(fft: spectrogram.makeWorkspace()) }

    /// The audio feature before resizing: [2, bins|mels, frames] or the cut waveform [2, L].
    public func unresizedAudio(_ clip: AudioClip, workspace ws: Workspace) throws -> (values: [Float], shape: [Int]) {
        guard clip.channels == 2 else { throw CacheError.feature("expected 2 audio channels, got \(clip.channels)") }
        let length = min(clip.frames, config.cutSamples ?? clip.frames)
        if config.audioFormat == .waveform {
            var out: [Float] = []
            out.reserveCapacity(2 * length)
            for c in 0..<2 { out.append(contentsOf: clip.channel(c).prefix(length)) }
            return (out, [2, length])
        }
        let p = spectrogram.parameters
        let frames = p.frames(length: length)
        let rows = mel?.nMels ?? p.bins
        var out = [Float](repeating: 0, count: 2 * rows * frames)
        if ws.plane.count < p.bins * frames { ws.plane = [Float](repeating: 0, count: p.bins * frames) }
        for c in 0..<2 {
            let start = c * clip.frames
            try clip.samples.withUnsafeBufferPointer { all in
                let signal = UnsafeBufferPointer(rebasing: all[start..<(start + length)])
                try out.withUnsafeMutableBufferPointer { dst in
                    let channelOut = UnsafeMutableBufferPointer(rebasing: dst[(c * rows * frames)..<((c + 1) * rows * frames)])
                    if let mel {
                        try ws.plane.withUnsafeMutableBufferPointer { spec in
                            try spectrogram.run(signal, into: spec, workspace: ws.fft)
                            mel.apply(UnsafeBufferPointer(spec), frames: frames, into: channelOut)
                        }
                    } else {
                        try spectrogram.run(signal, into: channelOut, workspace: ws.fft)
                    }
                }
            }
        }
        return (out, [2, rows, frames])
    }

    /// The cached audio tensor: resized to [2, S, S], or the waveform [2, L] as is.
    public func audio(_ clip: AudioClip, workspace ws: Workspace) throws -> [Float] {
        let (raw, shape) = try unresizedAudio(clip, workspace: ws)
        if config.audioFormat == .waveform { return raw }
        return resizePlanes(raw, channels: shape[0], height: shape[1], width: shape[2], workspace: ws)
    }

    /// Resizes each [h, w] plane of a [c, h, w] tensor to [S, S].
    public func resizePlanes(_ values: [Float], channels: Int, height: Int, width: Int, workspace ws: Workspace) -> [Float] {
        let s = config.imagesSize
        let r = ws.resize(height, width, to: s)
        var out = [Float](repeating: 0, count: channels * s * s)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    r.run(UnsafeBufferPointer(rebasing: src[(c * height * width)..<((c + 1) * height * width)]),
                          into: UnsafeMutableBufferPointer(rebasing: dst[(c * s * s)..<((c + 1) * s * s)]),
                          scratch: &ws.scratch)
                }
            }
        }
        return out
    }

    /// The depth target [1, S, S] from a depth map in millimetres.
    public func depth(_ millimetres: [Float], height: Int, width: Int, workspace ws: Workspace) -> [Float] {
        depthTarget.compute(millimetres, height: height, width: width,
                            resize: ws.resize(height, width, to: config.imagesSize), scratch: &ws.scratch)
    }
}
