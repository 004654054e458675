import Support

/// PyTorch's single-tensor Adam/AdamW update for one element, in its operation order with
/// every intermediate rounded to float (so one step matches torch to the last bit), run
/// eight elements at a time: each SIMD lane does the scalar rule's exact IEEE operations
/// (no fused multiply-adds), so the lanes equal the scalar loop bit for bit
/// (OptimizerTests). The step's scalars are fixed when it is made.
struct AdamRule {
    let decoupled: Bool
    let weightDecay: Float
    /// 1 - lr * weight_decay (AdamW's decoupled decay).
    let decay: Float
    let oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float
    /// -(lr / bias_correction1).
    let negStep: Float
    /// sqrt(bias_correction2).
    let bc2Sqrt: Float
    let eps: Float
    /// The clip factor applied to each gradient as it is read (`grad.mul_(coef)`), if any.
    let gradientScale: Float?

    /// w, m, v of the elements in `range` updated from their gradients g.
    func update(w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                v: UnsafeMutablePointer<Float>, range: Range<Int>) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            var wi = w.load8(at: i), mi = m.load8(at: i), vi = v.load8(at: i)
            step(w: &wi, g: g.load8(at: i), m: &mi, v: &vi)
            w.store8(wi, at: i); m.store8(mi, at: i); v.store8(vi, at: i)
            i += 8
        }
        let rest = range.upperBound - i
        guard rest > 0 else { return }
        // The last few through the same lanes, zero-padded.
        var wi = SIMD8<Float>.zero, gi = SIMD8<Float>.zero, mi = SIMD8<Float>.zero, vi = SIMD8<Float>.zero
        for l in 0..<rest { wi[l] = w[i + l]; gi[l] = g[i + l]; mi[l] = m[i + l]; vi[l] = v[i + l] }
        step(w: &wi, g: gi, m: &mi, v: &vi)
        for l in 0..<rest { w[i + l] = wi[l]; m[i + l] = mi[l]; v[i + l] = vi[l] }
    }

    @inline(__always)
    private func step(w: inout SIMD8<Float>, g: SIMD8<Float>, m: inout SIMD8<Float>, v: inout SIMD8<Float>) {
        var g = g
        if let gradientScale { g = g * gradientScale }
        if weightDecay != 0 {
            if decoupled { w = w * decay } else { g = g + weightDecay * w }
        }
        m = m + oneMinusBeta1 * (g - m)                      // lerp, weight < 0.5
        v = v * beta2 + oneMinusBeta2 * g * g                 // mul_, addcmul_
        let denom = v.squareRoot() / bc2Sqrt + eps
        w = w + negStep * m / denom                           // addcdiv_
    }
}
