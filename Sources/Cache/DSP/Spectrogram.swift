import Foundation

/// STFT settings as torchaudio takes them.
public struct STFTParameters: Equatable, Codable, Sendable {
    public var nFFT: Int
    public var winLength: Int
    public var hopLength: Int

    public init(nFFT: Int, winLength: Int, hopLength: Int) {
        self.nFFT = nFFT
        self.winLength = winLength
        self.hopLength = hopLength
    }

    public var bins: Int { nFFT / 2 + 1 }

    /// Frames for a signal of `length` samples with center=True: 1 + length / hop.
    public func frames(length: Int) -> Int { 1 + length / hopLength }
}

/// torchaudio `Spectrogram(n_fft, win_length, hop_length, power=1)`: periodic Hann window of
/// win_length zero-padded to n_fft (centred), signal reflect-padded by n_fft/2 (center=True),
/// magnitude of the one-sided FFT, no normalisation. Output [bins, frames] per channel.
///
/// Make one per configuration on one thread (it plans the FFT), then call `run` from any
/// thread with a workspace of that thread's own.
public final class SpectrogramTransform: @unchecked Sendable {
    public let parameters: STFTParameters
    let fft: RealFFT
    /// The window over the whole n_fft frame (zeros outside the centred win_length part).
    let window: [Float]

    public init(_ p: STFTParameters) {
        parameters = p
        fft = RealFFT(size: p.nFFT)
        var w = [Float](repeating: 0, count: p.nFFT)
        let left = (p.nFFT - p.winLength) / 2
        for n in 0..<p.winLength {
            // torch.hann_window(periodic=True): 0.5 - 0.5 cos(2 pi n / N), N = win_length.
            w[left + n] = Float(0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(p.winLength)))
        }
        window = w
    }

    public func makeWorkspace() -> RealFFT.Workspace { fft.makeWorkspace() }

    /// Magnitude spectrogram of one channel into `out` ([bins, frames], row-major).
    /// The signal must be longer than n_fft / 2, as reflect padding needs (torch refuses too).
    public func run(_ signal: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>,
                    workspace ws: RealFFT.Workspace) throws {
        let p = parameters
        let n = signal.count
        let pad = p.nFFT / 2
        let frames = p.frames(length: n)
        let bins = p.bins
        guard n > pad else {
            throw CacheError.feature("signal of \(n) samples is too short for n_fft \(p.nFFT) (reflect padding needs more than \(pad))")
        }
        guard out.count >= bins * frames else {
            throw CacheError.feature("spectrogram buffer of \(out.count) for \(bins) x \(frames)")
        }
        // Reflect padding without copying: index into the virtual padded signal.
        @inline(__always) func padded(_ i: Int) -> Float {
            var j = i - pad
            if j < 0 { j = -j } else if j >= n { j = 2 * (n - 1) - j }
            return signal[j]
        }
        let left = (p.nFFT - p.winLength) / 2
        // Outside the window the frame is always 0 (the out-of-place r2c plan keeps its input).
        for k in 0..<p.nFFT { ws.input[k] = 0 }
        // Magnitudes go to a tile of `tile` frames first, then out row by row: writing
        // out[f * frames + t] frame by frame touched a new cache line per bin and was most
        // of this function's time.
        let tile = 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: tile * bins) { buffer in
            guard let scratch = buffer.baseAddress, let dst = out.baseAddress else { return }
            var t0 = 0
            while t0 < frames {
                let count = Swift.min(tile, frames - t0)
                for j in 0..<count {
                    let start = (t0 + j) * p.hopLength
                    for k in left..<(left + p.winLength) { ws.input[k] = padded(start + k) * window[k] }
                    fft.execute(ws)
                    let row = scratch + j * bins
                    for f in 0..<bins { row[f] = ws.magnitude(f) }
                }
                // Out bin-major: eight frames by eight bins through registers, the
                // edges one by one.
                let src = UnsafeRawPointer(scratch), to = UnsafeMutableRawPointer(dst)
                let fullBins = bins & ~7, fullFrames = count & ~7
                var j = 0
                while j < fullFrames {
                    var f = 0
                    while f < fullBins {
                        var m = Block8(src + 4 * (j * bins + f), stride: 4 * bins)
                        m.transpose()
                        m.store(to + 4 * (f * frames + t0 + j), stride: 4 * frames)
                        f += 8
                    }
                    j += 8
                }
                for f in 0..<bins {
                    let line = dst + f * frames + t0
                    let first = f < fullBins ? fullFrames : 0
                    for j in first..<count { line[j] = scratch[j * bins + f] }
                }
                t0 += count
            }
        }
    }
}
