import Foundation
import Ingest

/// Turns one sample (decoded audio, depth in millimetres) into the cached tensors.
/// Create once per config (plans the FFT); each thread uses its own `Workspace`, whose
/// buffers are reused from sample to sample (no allocation on the hot path).
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

    /// Per-thread buffers: the FFT's, resize plans by input shape, file bytes, planes.
    public final class Workspace {
        let fft: RealFFT.Workspace
        var resizes: [String: AntialiasResize] = [:]
        var scratch: [Float] = []
        var spec: [Float] = []
        var melPlane: [Float] = []
        /// Raw file bytes and decoded samples, reused by `Featurizer`.
        public var audioBytes: [UInt8] = []
        public var depthBytes: [UInt8] = []
        public var earBytes: [UInt8] = []
        public var clip = AudioClip(channels: 0, sampleRate: 0, frames: 0, encoding: "", samples: [])
        public var interleaved: [Float] = []
        public var depthValues: [Float] = []
        /// Target pixels this workspace computed: valid, and invented by the resize
        /// (`DepthTarget.invented`), summed over its samples.
        public var targetPixels = 0, inventedTargetPixels = 0

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

    /// Every feature is computed from two ears.
    private func requireBinaural(_ clip: AudioClip) throws {
        guard clip.channels == 2 else { throw CacheError.feature("expected 2 audio channels, got \(clip.channels)") }
    }

    /// Samples of each channel that the features use (the V2 cut, if any).
    public func usedLength(_ clip: AudioClip) -> Int { config.window(frames: clip.frames).count }

    /// The first sample of each channel that the features use (`--audio_offset`).
    func firstSample(_ clip: AudioClip) -> Int { config.window(frames: clip.frames).lowerBound }

    /// Shape of one channel's time-frequency plane before resizing: [bins|mels, frames].
    public func planeShape(length: Int) -> (rows: Int, frames: Int) {
        let p = spectrogram.parameters
        return (mel?.nMels ?? p.bins, p.frames(length: length))
    }

    /// One channel's spectrogram (or mel spectrogram) into `out` ([rows, frames]).
    func plane(_ clip: AudioClip, channel c: Int, into out: UnsafeMutableBufferPointer<Float>, workspace ws: Workspace) throws {
        try requireBinaural(clip)
        let length = usedLength(clip)
        let p = spectrogram.parameters
        let frames = p.frames(length: length)
        try clip.samples.withUnsafeBufferPointer { all in
            let start = c * clip.frames + firstSample(clip)
            let signal = UnsafeBufferPointer(rebasing: all[start..<(start + length)])
            if let mel {
                if ws.spec.count < p.bins * frames { ws.spec = [Float](repeating: 0, count: p.bins * frames) }
                try ws.spec.withUnsafeMutableBufferPointer { spec in
                    try spectrogram.run(signal, into: spec, workspace: ws.fft)
                    mel.apply(UnsafeBufferPointer(spec), frames: frames, into: out)
                }
            } else {
                try spectrogram.run(signal, into: out, workspace: ws.fft)
            }
        }
    }

    /// The audio feature before resizing: [2, bins|mels, frames] or the cut waveform [2, L].
    public func unresizedAudio(_ clip: AudioClip, workspace ws: Workspace) throws -> (values: [Float], shape: [Int]) {
        try requireBinaural(clip)
        let length = usedLength(clip)
        if config.audioFormat == .waveform {
            let first = firstSample(clip)
            return (Array(clip.channel(0).dropFirst(first).prefix(length)) + Array(clip.channel(1).dropFirst(first).prefix(length)), [2, length])
        }
        let (rows, frames) = planeShape(length: length)
        var out = [Float](repeating: 0, count: 2 * rows * frames)
        try out.withUnsafeMutableBufferPointer { dst in
            for c in 0..<2 {
                try plane(clip, channel: c, into: UnsafeMutableBufferPointer(rebasing: dst[(c * rows * frames)..<((c + 1) * rows * frames)]), workspace: ws)
            }
        }
        return (out, [2, rows, frames])
    }

    /// The cached audio tensor into `out`: [2, S, S] resized, or the waveform's first
    /// `out.count / 2` samples per channel.
    public func audio(_ clip: AudioClip, into out: UnsafeMutableBufferPointer<Float>, workspace ws: Workspace) throws {
        try requireBinaural(clip)
        if config.audioFormat == .waveform {
            let l = out.count / 2
            guard l <= usedLength(clip) else { throw CacheError.feature("waveform of \(usedLength(clip)) samples, \(l) needed") }
            clip.samples.withUnsafeBufferPointer { all in
                let first = firstSample(clip)
                for c in 0..<2 { for i in 0..<l { out[c * l + i] = all[c * clip.frames + first + i] } }
            }
            return
        }
        let (rows, frames) = planeShape(length: usedLength(clip))
        if ws.melPlane.count < rows * frames { ws.melPlane = [Float](repeating: 0, count: rows * frames) }
        let s = config.imagesSize
        let r = ws.resize(rows, frames, to: s)
        for c in 0..<2 {
            try ws.melPlane.withUnsafeMutableBufferPointer { planeBuf in
                let p = UnsafeMutableBufferPointer(rebasing: planeBuf[0..<(rows * frames)])
                try plane(clip, channel: c, into: p, workspace: ws)
                r.run(UnsafeBufferPointer(p), into: UnsafeMutableBufferPointer(rebasing: out[(c * s * s)..<((c + 1) * s * s)]),
                      scratch: &ws.scratch)
            }
        }
    }

    public func audio(_ clip: AudioClip, workspace ws: Workspace) throws -> [Float] {
        let count = config.audioFormat == .waveform ? 2 * usedLength(clip) : 2 * config.imagesSize * config.imagesSize
        var out = [Float](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { try audio(clip, into: $0, workspace: ws) }
        return out
    }

    /// The depth target [1, S, S] into `out` from a depth map in millimetres [h, w]
    /// (converted to metres in place).
    public func depth(millimetres values: UnsafeMutableBufferPointer<Float>, height: Int, width: Int,
                      into out: UnsafeMutableBufferPointer<Float>, workspace ws: Workspace) {
        depthTarget.compute(values, height: height, width: width, resize: ws.resize(height, width, to: config.imagesSize),
                            into: out, scratch: &ws.scratch)
    }

    /// The depth target [1, S, S] into `out` straight from a stored 2-D depth map.
    public func depth(_ npy: NPYArray, into out: UnsafeMutableBufferPointer<Float>, workspace ws: Workspace) throws {
        let s = config.imagesSize
        guard npy.shape.count == 2, npy.count > 0, out.count >= s * s else {
            throw CacheError.feature("depth map of shape \(npy.shape) (expected 2-D) or an output of \(out.count) values (expected \(s * s))")
        }
        depthTarget.compute(npy, resize: ws.resize(npy.shape[0], npy.shape[1], to: config.imagesSize), into: out,
                            scratch: &ws.scratch, values: &ws.depthValues)
    }

    public func depth(_ millimetres: [Float], height: Int, width: Int, workspace ws: Workspace) -> [Float] {
        var v = millimetres
        var out = [Float](repeating: 0, count: config.imagesSize * config.imagesSize)
        v.withUnsafeMutableBufferPointer { src in
            out.withUnsafeMutableBufferPointer { depth(millimetres: src, height: height, width: width, into: $0, workspace: ws) }
        }
        return out
    }
}
