import Foundation
import Testing
@testable import Model

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

    @Test func clippingScalesToTheMaximumNorm() {
        let p = parameter([0, 0], grad: [3, 4])
        let norm = clipGradientNorm([p], maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(Double(p.grad[0]) - 0.6) < 1e-6 && abs(Double(p.grad[1]) - 0.8) < 1e-6)
        let small = parameter([0], grad: [0.5])
        clipGradientNorm([small], maxNorm: 1)
        #expect(small.grad[0] == 0.5)
    }
}
