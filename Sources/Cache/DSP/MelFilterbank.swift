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
    /// Each filter sums only its non-zero bins, in ascending f (the zero terms would add
    /// exact zeros), one output row at a time so the row stays in cache and the t loop
    /// vectorises.
    public func apply(_ spec: UnsafeBufferPointer<Float>, frames: Int, into out: UnsafeMutableBufferPointer<Float>) {
        guard let src = spec.baseAddress, let dstBase = out.baseAddress,
              spec.count >= nFreqs * frames, out.count >= nMels * frames else { return }
        weights.withUnsafeBufferPointer { wb in
            guard let w = wb.baseAddress else { return }
            for m in 0..<nMels {
                let dst = dstBase + m * frames
                dst.update(repeating: 0, count: frames)
                for f in 0..<nFreqs {
                    let weight = w[f * nMels + m]
                    if weight == 0 { continue }
                    let row = src + f * frames
                    for t in 0..<frames { dst[t] += row[t] * weight }
                }
            }
        }
    }
}
