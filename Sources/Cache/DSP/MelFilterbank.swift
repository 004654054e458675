import Foundation

/// torchaudio `melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None,
/// mel_scale="htk")`: triangular filters equally spaced on the HTK mel scale,
/// weights [n_freqs, n_mels].
public struct MelFilterbank: Sendable {
    public let nFreqs: Int
    public let nMels: Int
    public let weights: [Float]

    public init(nFreqs: Int, fMin: Double, fMax: Double, nMels: Int, sampleRate: Int) {
        self.nFreqs = nFreqs
        self.nMels = nMels
        func hzToMel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
        func melToHz(_ m: Float) -> Float { 700 * (powf(10, m / 2595) - 1) }
        // torch.linspace in float32, as torchaudio computes it.
        func linspace(_ a: Double, _ b: Double, _ n: Int) -> [Float] {
            guard n > 1 else { return [Float(a)] }
            let step = Float((b - a) / Double(n - 1))
            // torch's linspace fills the first half from the start and the second from the end.
            let half = n / 2
            return (0..<n).map { i in i < half ? Float(a) + step * Float(i) : Float(b) - step * Float(n - 1 - i) }
        }
        let allFreqs = linspace(0, Double(sampleRate / 2), nFreqs)
        let melPoints = linspace(hzToMel(fMin), hzToMel(fMax), nMels + 2)
        let fPts = melPoints.map(melToHz)
        var w = [Float](repeating: 0, count: nFreqs * nMels)
        for f in 0..<nFreqs {
            for m in 0..<nMels {
                let down = -(fPts[m] - allFreqs[f]) / (fPts[m + 1] - fPts[m])
                let up = (fPts[m + 2] - allFreqs[f]) / (fPts[m + 2] - fPts[m + 1])
                w[f * nMels + m] = max(0, min(down, up))
            }
        }
        weights = w
    }

    /// mel[m, t] = sum_f spec[f, t] * fb[f, m]; spec is [nFreqs, frames], out [nMels, frames].
    public func apply(_ spec: UnsafeBufferPointer<Float>, frames: Int, into out: UnsafeMutableBufferPointer<Float>) {
        for m in 0..<nMels {
            for t in 0..<frames { out[m * frames + t] = 0 }
        }
        for f in 0..<nFreqs {
            for m in 0..<nMels {
                let w = weights[f * nMels + m]
                if w == 0 { continue }
                for t in 0..<frames { out[m * frames + t] += spec[f * frames + t] * w }
            }
        }
    }
}
