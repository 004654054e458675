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

    public func apply() {
        step += 1
        let lr = learningRate
        switch kind {
        case .SGD:
            for p in parameters {
                let w = p.value.pointer, g = p.grad.pointer
                let wd = Float(weightDecay), alpha = Float(-lr)
                par.ranges(p.count, grain: 1 << 16) { range in for i in range {
                    let gi = wd != 0 ? g[i] + wd * w[i] : g[i]
                    w[i] = w[i] + alpha * gi
                } }
            }
        case .Adam, .AdamW:
            let decay = Float(1 - lr * weightDecay)
            let oneMinusBeta1 = Float(1 - beta1), b2 = Float(beta2), oneMinusBeta2 = Float(1 - beta2)
            let bc1 = 1 - pow(beta1, Double(step)), bc2 = 1 - pow(beta2, Double(step))
            let negStep = Float(-(lr / bc1))
            let bc2Sqrt = Float(bc2.squareRoot()), epsF = Float(eps)
            let wdF = Float(weightDecay)
            for (k, p) in parameters.enumerated() {
                let w = p.value.pointer, g = p.grad.pointer
                let m = expAvg[k].pointer, v = expAvgSq[k].pointer
                let decoupled = kind == .AdamW, wd = weightDecay
                par.ranges(p.count, grain: 1 << 16) { range in for i in range {
                    var gi = g[i]
                    if wd != 0 {
                        if decoupled { w[i] = w[i] * decay } else { gi = gi + wdF * w[i] }
                    }
                    m[i] = m[i] + oneMinusBeta1 * (gi - m[i])          // lerp, weight < 0.5
                    v[i] = v[i] * b2 + oneMinusBeta2 * gi * gi          // mul_, addcmul_
                    let denom = v[i].squareRoot() / bc2Sqrt + epsF
                    w[i] = w[i] + negStep * m[i] / denom                 // addcdiv_
                } }
            }
        }
    }

    // MARK: state (checkpoints)

    /// The optimiser's state as named tensors ("<param>.exp_avg", "<param>.exp_avg_sq")
    /// and metadata (kind, step, learning rate).
    public func state() -> (tensors: [String: NamedTensor], metadata: [String: String]) {
        var t: [String: NamedTensor] = [:]
        for (k, p) in parameters.enumerated() where kind != .SGD {
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

/// `torch.nn.utils.clip_grad_norm_`: the total L2 norm over every gradient (the norm of
/// the per-tensor norms); when above `maxNorm`, every gradient is scaled by
/// maxNorm / (norm + 1e-6). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) -> Float {
    var squares = 0.0
    for p in parameters {
        var s = 0.0
        let g = p.grad.pointer
        for i in 0..<p.count { s += Double(g[i]) * Double(g[i]) }
        let norm = Float(s.squareRoot())
        squares += Double(norm) * Double(norm)
    }
    let total = Float(squares.squareRoot())
    let coef = Float(maxNorm) / (total + 1e-6)
    if coef < 1 {
        for p in parameters {
            let g = p.grad.pointer
            for i in 0..<p.count { g[i] *= coef }
        }
    }
    return total
}
