import Foundation
import Support

public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    case Adam, AdamW, SGD
}

/// PyTorch's single-tensor CPU optimisers with their default hyper-parameters
/// (Adam/AdamW betas 0.9/0.999, eps 1e-8; AdamW weight decay 0.01, Adam and SGD 0; SGD
/// without momentum), operation for operation in float32 with the Python-double scalars
/// rounded to float, so one step matches torch to the last bits.
public final class Optimizer {
    public let kind: OptimizerKind
    public var learningRate: Double
    public let beta1 = 0.9, beta2 = 0.999, eps = 1e-8
    public let weightDecay: Double
    public private(set) var step = 0
    /// Per parameter: exp_avg and exp_avg_sq (Adam, AdamW).
    private var expAvg: [FloatBuffer] = []
    private var expAvgSq: [FloatBuffer] = []
    let parameters: [Parameter]
    let par: Parallelism

    public init(_ kind: OptimizerKind, parameters: [Parameter], learningRate: Double, weightDecay: Double? = nil,
                par: Parallelism = .allCores) {
        self.par = par
        self.kind = kind
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay ?? (kind == .AdamW ? 0.01 : 0)
        if kind != .SGD {
            expAvg = parameters.map { FloatBuffer(count: $0.count) }
            expAvgSq = parameters.map { FloatBuffer(count: $0.count) }
        }
    }

    /// One step on the gradients as they stand.
    public func apply() { apply(gradientScale: nil) }

    /// `clip_grad_norm_(maxNorm)` then one step, in one pass over the gradients: the clip
    /// factor is applied as each gradient is read (the same float product PyTorch's
    /// `grad.mul_` stores) instead of being written back first. Gradients are left unscaled.
    /// Returns the total norm before clipping.
    @discardableResult
    public func apply(clippingGradientNormTo maxNorm: Double) -> Float {
        let norm = gradientNorm(parameters, par: par)
        apply(gradientScale: clipFactor(norm: norm, maxNorm: maxNorm))
        return norm
    }

    private func apply(gradientScale: Float?) {
        step += 1
        let lr = learningRate
        switch kind {
        case .SGD:
            for p in parameters {
                let w = p.value.pointer, g = p.grad.pointer
                let wd = Float(weightDecay), alpha = Float(-lr)
                par.ranges(p.count, grain: 1 << 16) { range in for i in range {
                    var gi = g[i]
                    if let gradientScale { gi = gi * gradientScale }
                    if wd != 0 { gi = gi + wd * w[i] }
                    w[i] = w[i] + alpha * gi
                } }
            }
        case .Adam, .AdamW:
            let bc1 = 1 - pow(beta1, Double(step)), bc2 = 1 - pow(beta2, Double(step))
            let rule = AdamRule(decoupled: kind == .AdamW, weightDecay: Float(weightDecay), decay: Float(1 - lr * weightDecay),
                                oneMinusBeta1: Float(1 - beta1), beta2: Float(beta2), oneMinusBeta2: Float(1 - beta2),
                                negStep: Float(-(lr / bc1)), bc2Sqrt: Float(bc2.squareRoot()), eps: Float(eps),
                                gradientScale: gradientScale)
            for (k, p) in parameters.enumerated() {
                let w = p.value.pointer, g = p.grad.pointer
                let m = expAvg[k].pointer, v = expAvgSq[k].pointer
                par.ranges(p.count, grain: 1 << 16) { range in rule.update(w: w, g: g, m: m, v: v, range: range) }
            }
        }
    }

    // MARK: state (checkpoints)

    /// The state as it lives in the optimiser, for writing without copies: the moments'
    /// buffers under the names of `state()`, and its metadata.
    public func stateSources() -> (tensors: [String: TensorSource], metadata: [String: String]) {
        var t: [String: TensorSource] = [:]
        for (k, p) in parameters.enumerated() where kind != .SGD {
            t[p.name + ".exp_avg"] = .float32(expAvg[k], shape: p.shape)
            t[p.name + ".exp_avg_sq"] = .float32(expAvgSq[k], shape: p.shape)
        }
        return (t, state(withTensors: false).metadata)
    }

    /// The optimiser's state as named tensors ("<param>.exp_avg", "<param>.exp_avg_sq")
    /// and metadata (kind, step, learning rate).
    public func state() -> (tensors: [String: NamedTensor], metadata: [String: String]) { state(withTensors: true) }

    private func state(withTensors: Bool) -> (tensors: [String: NamedTensor], metadata: [String: String]) {
        var t: [String: NamedTensor] = [:]
        for (k, p) in parameters.enumerated() where kind != .SGD && withTensors {
            t[p.name + ".exp_avg"] = NamedTensor(shape: p.shape, floats: expAvg[k].array)
            t[p.name + ".exp_avg_sq"] = NamedTensor(shape: p.shape, floats: expAvgSq[k].array)
        }
        return (t, ["optimizer": kind.rawValue, "step": String(step), "learning_rate": "\(learningRate)",
                    "weight_decay": "\(weightDecay)"])
    }

    public func load(tensors: [String: NamedTensor], metadata: [String: String], source: String) throws {
        guard metadata["optimizer"] == kind.rawValue else {
            throw ModelError.tensors(path: source, reason: "optimiser state is for \(metadata["optimizer"] ?? "?"), this run uses \(kind.rawValue)")
        }
        guard let s = metadata["step"].flatMap(Int.init), (0...Int(Int32.max)).contains(s) else {
            throw ModelError.tensors(path: source, reason: "optimiser state lacks a step count from 0 to \(Int32.max)")
        }
        for (k, p) in parameters.enumerated() where kind != .SGD {
            for (suffix, buffer) in [(".exp_avg", expAvg[k]), (".exp_avg_sq", expAvgSq[k])] {
                guard let t = tensors[p.name + suffix], t.shape == p.shape, let v = t.floats else {
                    throw ModelError.tensors(path: source, reason: "optimiser state lacks \(p.name + suffix) \(p.shape)")
                }
                buffer.copy(from: v)
            }
        }
        step = s
    }
}

/// The total L2 norm of the gradients as `clip_grad_norm_` computes it: each tensor's norm
/// rounded to float, then the norm of those. Squares are summed in double over fixed blocks
/// of `normBlock` elements (four chains each, so the adds overlap), the blocks shared among
/// the threads and added in order: the same bits on any thread count, which PyTorch's float
/// reduction matches after rounding.
public func gradientNorm(_ parameters: [Parameter], par: Parallelism) -> Float {
    var squares = 0.0
    for p in parameters {
        let g = p.grad.pointer, count = p.count
        let partial = par.map((count + normBlock - 1) / normBlock) { block -> Double in
            let i1 = Swift.min(count, (block + 1) * normBlock)
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = block * normBlock
            while i + 4 <= i1 {
                let a = Double(g[i]), b = Double(g[i + 1]), c = Double(g[i + 2]), d = Double(g[i + 3])
                s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
                i += 4
            }
            while i < i1 { let a = Double(g[i]); s0 += a * a; i += 1 }
            return (s0 + s1) + (s2 + s3)
        }
        let norm = Float(partial.reduce(0, +).squareRoot())
        squares += Double(norm) * Double(norm)
    }
    return Float(squares.squareRoot())
}

/// Gradient elements per partial sum of `gradientNorm`.
let normBlock = 1 << 16

/// maxNorm / (norm + 1e-6) when that is below 1 (the gradients must shrink), else nil.
public func clipFactor(norm: Float, maxNorm: Double) -> Float? {
    let coef = Float(maxNorm) / (norm + 1e-6)
    return coef < 1 ? coef : nil
}
