/// Turns a cached batch's audio into the U-Net's input [B, 2, S, S].
///
/// Spectrograms and mel spectrograms are [2, S, S] already. A waveform [2, L] (the
/// reference's loader cannot train on it) is framed, parameter-free, into an S x S
/// image per ear: row r holds the S samples starting at r * hop, hop = max(1, (L - S) /
/// (S - 1)), zero past the end. Rows are coarse time (echo delay, hence distance) and
/// columns fine time, so the 2-D U-Net sees every sample of the echo window at once and
/// its first convolutions act as learned band-pass filters on short frames. Gradients
/// never flow into the framing (it has no parameters).
public struct ModelInput: Sendable, Equatable {
    public let audioShape: [Int]
    public let size: Int

    public init(audioShape: [Int], depthSize: Int) throws {
        self.audioShape = audioShape
        size = depthSize
        switch audioShape.count {
        case 3:
            guard audioShape == [2, depthSize, depthSize] else {
                throw ModelError.shape(name: "cached audio", expected: [2, depthSize, depthSize], found: audioShape)
            }
        case 2:
            guard audioShape[0] == 2, audioShape[1] >= 1 else {
                throw ModelError.shape(name: "cached waveform", expected: [2, -1], found: audioShape)
            }
        default:
            throw ModelError.shape(name: "cached audio", expected: [2, depthSize, depthSize], found: audioShape)
        }
    }

    public var isWaveform: Bool { audioShape.count == 2 }
    public var floatsPerSample: Int { 2 * size * size }

    /// Hop between frame starts for a waveform of `length` samples.
    public var hop: Int {
        guard isWaveform else { return 0 }
        return Swift.max(1, (audioShape[1] - size) / Swift.max(size - 1, 1))
    }

    /// Writes `count` samples of model input into `out` (count * 2 * S * S floats).
    public func prepare(_ audio: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        guard isWaveform else {
            out.update(from: audio, count: count * floatsPerSample)
            return
        }
        let length = audioShape[1], s = size, hop = self.hop
        for n in 0..<count {
            for ear in 0..<2 {
                let src = audio + (n * 2 + ear) * length
                let dst = out + (n * 2 + ear) * s * s
                for r in 0..<s {
                    let start = r * hop
                    for c in 0..<s {
                        let t = start + c
                        dst[r * s + c] = t < length ? src[t] : 0
                    }
                }
            }
        }
    }
}
