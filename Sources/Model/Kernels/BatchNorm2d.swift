import Foundation
import Support

/// BatchNorm2d (affine, tracked running statistics) on CNHW activations, where each
/// channel's N*H*W values are contiguous. Training uses the batch's mean and biased
/// variance and moves the running statistics by `momentum` with the unbiased variance,
/// as PyTorch does; eval uses the running statistics. Sums are in double, as PyTorch's
/// CPU kernel accumulates.
final class BatchNorm2d {
    let channels: Int
    let weight: Parameter
    let bias: Parameter
    let runningMean: StateBuffer
    let runningVar: StateBuffer
    let numBatchesTrackedName: String
    var numBatchesTracked: Int64 = 0
    let eps = 1e-5
    let momentum = 0.1
    let par: Parallelism

    /// Per-channel batch statistics of the last training forward, for backward.
    private var mean: [Double]
    private var invStd: [Double]

    init(prefix: String, channels: Int, par: Parallelism = .allCores) {
        self.par = par
        self.channels = channels
        weight = Parameter(name: prefix + "weight", shape: [channels], fill: 1)
        bias = Parameter(name: prefix + "bias", shape: [channels])
        runningMean = StateBuffer(name: prefix + "running_mean", shape: [channels], fill: 0)
        runningVar = StateBuffer(name: prefix + "running_var", shape: [channels], fill: 1)
        numBatchesTrackedName = prefix + "num_batches_tracked"
        mean = [Double](repeating: 0, count: channels)
        invStd = [Double](repeating: 1, count: channels)
    }

    /// y = BN(x); `perChannel` = N*H*W. `x` and `y` may be the same buffer only in eval.
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, perChannel m: Int, training: Bool) {
        if training { numBatchesTracked += 1 }
        let w = weight.value.pointer, b = bias.value.pointer
        let rm = runningMean.value.pointer, rv = runningVar.value.pointer
        let eps = self.eps, momentum = self.momentum
        mean.withUnsafeMutableBufferPointer { meanOut in
            invStd.withUnsafeMutableBufferPointer { invOut in
                let meanOut = meanOut, invOut = invOut
                par.ranges(channels, grain: Swift.max(1, 16_384 / Swift.max(m, 1))) { range in
                    for c in range {
                        let xc = x + c * m, yc = y + c * m
                        let mu: Double, inv: Double
                        if training {
                            mu = ChannelSums.sum(xc, m) / Double(m)
                            let sq = ChannelSums.squaredDeviations(xc, m, mean: mu)
                            inv = 1 / (sq / Double(m) + eps).squareRoot()
                            meanOut[c] = mu
                            invOut[c] = inv
                            let unbiased = m > 1 ? sq / Double(m - 1) : sq
                            rm[c] = Float(momentum * mu + (1 - momentum) * Double(rm[c]))
                            rv[c] = Float(momentum * unbiased + (1 - momentum) * Double(rv[c]))
                        } else {
                            mu = Double(rm[c])
                            inv = 1 / (Double(rv[c]) + eps).squareRoot()
                        }
                        let alpha = Float(inv * Double(w[c]))
                        let beta = Float(Double(b[c]) - mu * inv * Double(w[c]))
                        for i in 0..<m { yc[i] = xc[i] * alpha + beta }
                    }
                }
            }
        }
    }

    /// Training-mode backward: accumulates dWeight, dBias and writes dX (may alias dY).
    func backward(_ x: UnsafePointer<Float>, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>, perChannel m: Int) {
        let w = weight.value.pointer, gw = weight.grad.pointer, gb = bias.grad.pointer
        mean.withUnsafeBufferPointer { meanIn in
            invStd.withUnsafeBufferPointer { invIn in
                let meanIn = meanIn, invIn = invIn
                par.ranges(channels, grain: Swift.max(1, 16_384 / Swift.max(m, 1))) { range in
                    for c in range {
                        let xc = x + c * m, dyc = dY + c * m, dxc = dX + c * m
                        let mu = meanIn[c], inv = invIn[c]
                        let (sumDy, sumDyXc) = ChannelSums.gradientSums(dyc, xc, m, mean: mu)
                        gw[c] += Float(sumDyXc * inv)
                        gb[c] += Float(sumDy)
                        let md = Double(m)
                        let scale = Double(w[c]) * inv
                        let meanDy = sumDy / md
                        let k = sumDyXc * inv * inv / md
                        let a = Float(scale), bShift = Float(scale * (-meanDy + k * mu)), kf = Float(scale * k)
                        // dx = scale * (dy - meanDy - (x - mu) * k)
                        for i in 0..<m { dxc[i] = a * dyc[i] - kf * xc[i] + bShift }
                    }
                }
            }
        }
    }
}

/// A channel's sums for BatchNorm in double, eight lanes at a time (the adds of one lane
/// chain overlap with the others'; a single chain would wait on each add), the lanes then
/// summed and the last few elements added after them. That order differs from one serial
/// chain only in the double's last bits, far below the float the statistics are rounded to.
enum ChannelSums {
    /// Σ x.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ m: Int) -> Double {
        var acc = SIMD8<Double>.zero, i = 0
        while i + 8 <= m { acc += SIMD8<Double>(x.load8(at: i)); i += 8 }
        var s = acc.sum()
        while i < m { s += Double(x[i]); i += 1 }
        return s
    }

    /// Σ (x - mean)².
    @inline(__always)
    static func squaredDeviations(_ x: UnsafePointer<Float>, _ m: Int, mean: Double) -> Double {
        var acc = SIMD8<Double>.zero, i = 0
        let mu = SIMD8<Double>(repeating: mean)
        while i + 8 <= m { let d = SIMD8<Double>(x.load8(at: i)) - mu; acc += d * d; i += 8 }
        var s = acc.sum()
        while i < m { let d = Double(x[i]) - mean; s += d * d; i += 1 }
        return s
    }

    /// (Σ dy, Σ dy * (x - mean)).
    @inline(__always)
    static func gradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ m: Int, mean: Double) -> (Double, Double) {
        var accDy = SIMD8<Double>.zero, accDyXc = SIMD8<Double>.zero, i = 0
        let mu = SIMD8<Double>(repeating: mean)
        while i + 8 <= m {
            let g = SIMD8<Double>(dy.load8(at: i))
            accDy += g
            accDyXc += g * (SIMD8<Double>(x.load8(at: i)) - mu)
            i += 8
        }
        var sumDy = accDy.sum(), sumDyXc = accDyXc.sum()
        while i < m {
            let g = Double(dy[i])
            sumDy += g
            sumDyXc += g * (Double(x[i]) - mean)
            i += 1
        }
        return (sumDy, sumDyXc)
    }
}
