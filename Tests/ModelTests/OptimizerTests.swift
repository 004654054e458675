import Foundation
import Testing
@testable import Model
import Support

/// Adam and SGD have no PyTorch golden; their steps are checked against PyTorch's update
/// rules written out in double precision (AdamW's arithmetic is pinned by the goldens).
@Suite struct OptimizerTests {
    func parameter(_ values: [Float], grad: [Float]) -> Parameter {
        let p = Parameter(name: "w", shape: [values.count])
        p.value.copy(from: values)
        p.grad.copy(from: grad)
        return p
    }

    @Test func adamTwoStepsFollowTorchsRule() {
        let w0: [Float] = [0.5, -0.25, 0.0, 2.0], g: [Float] = [0.1, -0.02, 3e-9, 0.0]
        let p = parameter(w0, grad: g)
        let opt = Optimizer(.Adam, parameters: [p], learningRate: 0.01)
        opt.apply(); opt.apply()
        for i in 0..<4 {
            var w = Double(w0[i]), m = 0.0, v = 0.0
            for step in 1...2 {
                let gi = Double(g[i])
                m = 0.9 * m + 0.1 * gi
                v = 0.999 * v + 0.001 * gi * gi
                let mHat = m / (1 - pow(0.9, Double(step))), denom = (v / (1 - pow(0.999, Double(step)))).squareRoot() + 1e-8
                w -= 0.01 * mHat / denom
            }
            #expect(abs(Double(p.value[i]) - w) < 1e-6, "element \(i): \(p.value[i]) vs \(w)")
        }
        #expect(opt.step == 2)
    }

    @Test func adamCouplesWeightDecayIntoTheGradient() {
        let p = parameter([1.0], grad: [0.0])
        Optimizer(.Adam, parameters: [p], learningRate: 0.1, weightDecay: 0.5).apply()
        // g = 0 + 0.5 * 1 = 0.5: the first step moves by lr * sign(g).
        #expect(abs(Double(p.value[0]) - 0.9) < 1e-6)
    }

    @Test func sgdIsPlainGradientDescent() {
        let p = parameter([1.0, -2.0], grad: [0.5, -4.0])
        Optimizer(.SGD, parameters: [p], learningRate: 0.1).apply()
        #expect(p.value.array == [0.95, -1.6])
    }

    @Test func stateRoundTripsForResume() throws {
        let p = parameter([0.5, 0.25], grad: [0.1, -0.3])
        let a = Optimizer(.AdamW, parameters: [p], learningRate: 0.001)
        a.apply()
        let (tensors, meta) = a.state()
        let q = parameter([0.5, 0.25], grad: [0.1, -0.3])
        let b = Optimizer(.AdamW, parameters: [q], learningRate: 0.001)
        try b.load(tensors: tensors, metadata: meta, source: "state")
        #expect(b.step == 1 && b.state().tensors == tensors)
        #expect(throws: ModelError.self) {
            try Optimizer(.SGD, parameters: [q], learningRate: 0.1).load(tensors: tensors, metadata: meta, source: "state")
        }
        // A hostile step count (the next step would overflow) is refused by name.
        var hostile = meta
        hostile["step"] = "9223372036854775807"
        #expect(throws: ModelError.self) { try b.load(tensors: tensors, metadata: hostile, source: "state") }
    }

    /// `torch.nn.utils.clip_grad_norm_` as its own pass (the reference the fused
    /// `apply(clippingGradientNormTo:)` is held to): every gradient scaled by the clip factor
    /// when there is one. Returns the norm before clipping.
    @discardableResult
    static func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) -> Float {
        let total = gradientNorm(parameters, par: .allCores)
        if let coef = clipFactor(norm: total, maxNorm: maxNorm) {
            for p in parameters { for i in 0..<p.count { p.grad[i] *= coef } }
        }
        return total
    }

    @Test func clippingScalesToTheMaximumNorm() {
        let p = parameter([0, 0], grad: [3, 4])
        let norm = Self.clipGradientNorm([p], maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(Double(p.grad[0]) - 0.6) < 1e-6 && abs(Double(p.grad[1]) - 0.8) < 1e-6)
        let small = parameter([0], grad: [0.5])
        Self.clipGradientNorm([small], maxNorm: 1)
        #expect(small.grad[0] == 0.5)
    }

    /// PyTorch's single-tensor Adam/AdamW rule, one element at a time in float: the loop
    /// the eight-lane `AdamRule` replaced. The lanes must equal it bit for bit.
    static func scalarStep(w: inout [Float], g: [Float], m: inout [Float], v: inout [Float], step: Int,
                           lr: Double, weightDecay: Double, decoupled: Bool, scale: Float?) {
        let bc1 = 1 - pow(0.9, Double(step)), bc2 = 1 - pow(0.999, Double(step))
        let decay = Float(1 - lr * weightDecay), wdF = Float(weightDecay)
        let negStep = Float(-(lr / bc1)), bc2Sqrt = Float(bc2.squareRoot()), eps = Float(1e-8)
        for i in w.indices {
            var gi = g[i]
            if let scale { gi = gi * scale }
            if weightDecay != 0 { if decoupled { w[i] = w[i] * decay } else { gi = gi + wdF * w[i] } }
            m[i] = m[i] + Float(1 - 0.9) * (gi - m[i])
            v[i] = v[i] * Float(0.999) + Float(1 - 0.999) * gi * gi
            let denom = v[i].squareRoot() / bc2Sqrt + eps
            w[i] = w[i] + negStep * m[i] / denom
        }
    }

    @Test(arguments: [(OptimizerKind.AdamW, 0.0), (.AdamW, 0.01), (.Adam, 0.05)], [5, 37, 200_003])
    func eightLaneStepsEqualTheScalarRuleBitForBit(_ setting: (OptimizerKind, Double), count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        let w0 = (0..<count).map { _ in Float(rng.normal()) }
        // Gradients over many magnitudes, some exactly 0, as real ones are.
        let g = (0..<count).map { i in i % 11 == 0 ? 0 : Float(rng.normal() * pow(10, rng.uniform(-9, 1))) }
        let p = parameter(w0, grad: g)
        let opt = Optimizer(setting.0, parameters: [p], learningRate: 1e-3, weightDecay: setting.1, par: Parallelism(workers: 2))
        var w = w0, m = [Float](repeating: 0, count: count), v = m
        // Step 1 plain, step 2 with a clip factor, step 3 plain again (state carried).
        let norm = gradientNorm([p], par: Parallelism(workers: 1))
        #expect(gradientNorm([p], par: Parallelism(workers: 3)).bitPattern == norm.bitPattern, "the norm depends on the thread count")
        let scale = Float(0.5) * 1 / (norm + 1e-6)
        for step in 1...3 {
            if step == 2 { opt.apply(clippingGradientNormTo: 0.5) } else { opt.apply() }
            Self.scalarStep(w: &w, g: g, m: &m, v: &v, step: step, lr: 1e-3, weightDecay: setting.1,
                            decoupled: setting.0 == .AdamW, scale: step == 2 && scale < 1 ? scale : nil)
            let differing = (0..<count).filter { p.value[$0].bitPattern != w[$0].bitPattern }
            #expect(differing.isEmpty, "step \(step), \(count) elements: \(differing.count) differ, first \(differing.prefix(3))")
        }
        let state = opt.state().tensors
        #expect(state["w.exp_avg"]?.floats == m && state["w.exp_avg_sq"]?.floats == v)
        // Clipping inside the step leaves the gradients as backward wrote them.
        #expect(p.grad.array == g)
    }

    /// Two steps on the same gradients, clipped first (and written back) against clipped as
    /// read: the same weights and, for Adam/AdamW, the same moments (AdamW's first step alone
    /// hardly depends on the gradients' scale, its moments do).
    @Test(arguments: OptimizerKind.allCases)
    func clippingInsideTheStepEqualsClippingFirst(_ kind: OptimizerKind) {
        let g: [Float] = (0..<1000).map { Float($0 % 7) - 3 }
        let a = parameter([Float](repeating: 0.5, count: 1000), grad: g)
        let b = parameter([Float](repeating: 0.5, count: 1000), grad: g)
        let optA = Optimizer(kind, parameters: [a], learningRate: 0.01, weightDecay: 0.1)
        let optB = Optimizer(kind, parameters: [b], learningRate: 0.01, weightDecay: 0.1)
        for _ in 0..<2 {
            a.grad.copy(from: g)
            let normA = Self.clipGradientNorm([a], maxNorm: 1)
            optA.apply()
            let normB = optB.apply(clippingGradientNormTo: 1)
            #expect(normA == normB && normA > 1)
        }
        #expect(a.value.array.map(\.bitPattern) == b.value.array.map(\.bitPattern))
        #expect(optA.state().tensors == optB.state().tensors)
        if kind != .SGD { #expect(optA.state().tensors["w.exp_avg"]?.floats?.first != 0) }
        // The clipped step left b's gradients as backward wrote them.
        #expect(b.grad.array == g)
    }
}
