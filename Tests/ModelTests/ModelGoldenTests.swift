import Foundation
import Testing
import TestSupport
@testable import Model

/// The three model cases of `goldens/model` (PyTorch 2.11): one training step of a small
/// U-Net, compared tensor by tensor at SPEC's tolerances.
@Suite struct ModelGoldenTests {
    struct Case: CustomStringConvertible, Sendable {
        let name: String, numDowns: Int, ngf: Int, size: Int, batch: Int
        let depthNorm: Bool, maxDepth: Double, criterion: Criterion
        let l1Weight: Double, silogWeight: Double, silogLambda: Double, lr: Double
        let loss: Double, gradNorm: Double
        var description: String { name }
    }

    static func cases() throws -> [Case] {
        let list = (try Fixtures.index()["model"] as? [[String: Any]]) ?? []
        return list.compactMap { c in
            guard let name = c["name"] as? String, let crit = (c["criterion"] as? String).flatMap(Criterion.init) else { return nil }
            func num(_ k: String, _ d: Double = 0) -> Double { Fixtures.number(c[k]) ?? d }
            return Case(name: name, numDowns: Int(num("num_downs")), ngf: Int(num("ngf")), size: Int(num("size")),
                        batch: Int(num("batch")), depthNorm: (c["depth_norm"] as? Bool) ?? false, maxDepth: num("max_depth"),
                        criterion: crit, l1Weight: num("l1_weight", 0.237), silogWeight: num("silog_weight", 0.637),
                        silogLambda: num("silog_lambda", 0.869), lr: num("lr"), loss: num("loss"),
                        gradNorm: num("grad_total_norm_before_clip"))
        }
    }

    static func load(_ c: Case, _ part: String) throws -> [String: NamedTensor] {
        try SafeTensors.read(Fixtures.url("goldens/model/\(c.name).\(part).safetensors")).tensors
    }

    @Test func allThreeCasesAreListed() throws {
        #expect(try Self.cases().count == 3)
    }

    /// Run on both matrix-product libraries, at the same tolerances.
    @Test(arguments: try cases(), [GemmEngine.openblas, .onednn, .portable])
    func oneTrainingStepMatchesPyTorch(_ c: Case, engine: GemmEngine) throws {
        let model = try UNet(UNetConfig(numDowns: c.numDowns, ngf: c.ngf, depthNorm: c.depthNorm), gemm: engine)
        #expect(model.gemm.engine == engine)
        let before = try Self.load(c, "weights_before")
        try model.load(stateDict: before, source: "weights_before")
        let batch = try Self.load(c, "batch")
        let x = try #require(batch["input"]?.floats), y = try #require(batch["target"]?.floats)
        #expect(batch["input"]?.shape == [c.batch, 2, c.size, c.size])

        // Training-mode forward.
        let outputs = try Self.load(c, "outputs")
        let pred = try model.forward(x, batch: c.batch, height: c.size, width: c.size, training: true)
        let trainErr = maxRelativeError(pred, try #require(outputs["train_output"]?.floats))
        #expect(trainErr < 1e-4, "train output: \(trainErr)")

        // Loss and its gradient.
        let loss = DepthLoss(criterion: c.criterion, l1Weight: c.l1Weight, silogWeight: c.silogWeight,
                             silogLambda: c.silogLambda, depthNorm: c.depthNorm, maxDepth: c.maxDepth)
        var gradPred = [Float](repeating: 0, count: pred.count)
        let value = try #require(loss.evaluate(pred: pred, gt: y, count: y.count, grad: &gradPred))
        #expect(abs(Double(value) - c.loss) / abs(c.loss) < 1e-5, "loss \(value) vs \(c.loss)")

        // Backward: every gradient.
        model.zeroGradients()
        gradPred.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
        let grads = try Self.load(c, "grads")
        #expect(grads.count == model.parameters.count)
        for p in model.parameters {
            let expected = try #require(grads[p.name]?.floats, "golden gradient \(p.name)")
            let err = maxRelativeError(p.grad.array, expected)
            // Measured here: at most 2.6e-5 (summation order in the GEMMs differs from PyTorch's).
            #expect(err < 1e-4, "gradient \(p.name): \(err)")
        }

        // Clip and one AdamW step, as training runs them (the clip factor applied as the step
        // reads each gradient).
        let opt = Optimizer(.AdamW, parameters: model.parameters, learningRate: c.lr)
        let norm = opt.apply(clippingGradientNormTo: 1.0)
        #expect(abs(Double(norm) - c.gradNorm) / c.gradNorm < 1e-4, "grad norm \(norm) vs \(c.gradNorm)")
        // Weights after the step. Where 0 < |g| is near AdamW's eps (1e-8) the step
        // lr * g / (|g| + eps) turns a 1e-9 difference in g into a large share of lr:
        // PyTorch 2.11 itself misses these goldens by up to 1.4e-3 on this machine, in
        // float32 and in float64 (docs/parity.md). So: elements with g exactly 0 (padding
        // taps; their weight is w * (1 - lr * wd) alone) and |g| >= 1e-6 are held to 1e-5;
        // 1e-7 <= |g| < 1e-6 must step the same way as PyTorch; only 0 < |g| < 1e-7 is merely
        // bounded, and that share must stay under 1% of all elements.
        let after = try Self.load(c, "weights_after")
        let state = model.stateDict()
        #expect(Set(state.keys) == Set(after.keys))
        var bounded = 0, total = 0
        for (name, expected) in after {
            let mine = try #require(state[name], "missing \(name)")
            #expect(mine.shape == expected.shape, "\(name) shape")
            guard let e = expected.floats else { #expect(mine.ints == expected.ints, "\(name)"); continue }
            let m = try #require(mine.floats)
            let g = grads[name]?.floats, w0 = before[name]?.floats
            let scale = e.map { abs(Double($0)) }.max() ?? 0
            var worst = 0.0
            for i in e.indices {
                total += 1
                let diff = abs(Double(m[i]) - Double(e[i]))
                if let g, let w0, g[i] != 0, abs(g[i]) < 1e-6 {
                    // The decoupled decay alone, then the Adam step on top of it.
                    let decayed = Double(w0[i]) * (1 - c.lr * 0.01)
                    if abs(g[i]) < 1e-7 {
                        bounded += 1
                        #expect(diff <= 2.5 * c.lr, "after step \(name)[\(i)]: |g| < 1e-7 but the step differs by \(diff)")
                    } else {
                        #expect((Double(m[i]) - decayed).sign == (Double(e[i]) - decayed).sign,
                                "after step \(name)[\(i)]: |g| = \(abs(g[i])) but the step goes the other way")
                    }
                } else {
                    worst = max(worst, diff)
                }
            }
            #expect(worst / max(scale, 1e-30) < 1e-5, "after step \(name): \(worst / scale)")
        }
        #expect(Double(bounded) < 0.01 * Double(total), "\(bounded) of \(total) elements only bounded")

        // Eval-mode forward after the step.
        let evalPred = try model.forward(x, batch: c.batch, height: c.size, width: c.size, training: false)
        let evalErr = maxRelativeError(evalPred, try #require(outputs["eval_output_after_step"]?.floats))
        #expect(evalErr < 1e-4, "eval output: \(evalErr)")
    }

    /// The optimiser alone: PyTorch's gradients, clipped and stepped here (as the trainer
    /// does, in one pass), must give
    /// PyTorch's weights (nothing ill-conditioned left: the inputs are identical).
    @Test(arguments: try cases())
    func clipAndAdamWOnPyTorchsGradientsMatch(_ c: Case) throws {
        let model = try UNet(UNetConfig(numDowns: c.numDowns, ngf: c.ngf, depthNorm: c.depthNorm))
        try model.load(stateDict: try Self.load(c, "weights_before"), source: "weights_before")
        let grads = try Self.load(c, "grads")
        for p in model.parameters { p.grad.copy(from: try #require(grads[p.name]?.floats)) }
        // The trainer's path: the clip factor applied as the step reads each gradient.
        let norm = Optimizer(.AdamW, parameters: model.parameters, learningRate: c.lr).apply(clippingGradientNormTo: 1.0)
        #expect(abs(Double(norm) - c.gradNorm) / c.gradNorm < 1e-6, "norm \(norm) vs \(c.gradNorm)")
        let after = try Self.load(c, "weights_after")
        for p in model.parameters {
            let err = maxRelativeError(p.value.array, try #require(after[p.name]?.floats))
            #expect(err < 1e-6, "\(p.name): \(err)")
        }
    }

    @Test func stateDictNamesAndShapesAreUnet256s() throws {
        let keys = try #require((try Fixtures.index()["state_dict_keys"] as? [String: Any])?["unet_256_ngf64"] as? [[Any]])
        let model = try UNet(UNetConfig(numDowns: 8, ngf: 64, depthNorm: true))
        let mine = model.stateDict().mapValues(\.shape)
        var expected: [String: [Int]] = [:]
        for entry in keys {
            guard let name = entry.first as? String, let shape = entry.last as? [Any] else { continue }
            expected[name] = shape.compactMap { ($0 as? NSNumber)?.intValue }
        }
        #expect(expected.count == keys.count && !expected.isEmpty)
        #expect(mine == expected)
    }
}
