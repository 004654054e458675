import Foundation

/// The baseline's criteria (SPEC section 4).
public enum Criterion: String, CaseIterable, Codable, Sendable {
    case L1, SIlog, Combined
}

/// Masked depth loss: only pixels with gt > 0 count; with `depthNorm`, prediction and gt
/// are multiplied by `maxDepth` first, so the loss is in metres. Forward and backward
/// together: the gradient with respect to the (unscaled) prediction is written beside the
/// value. Sums are in double; the value is rounded to float as PyTorch's is.
public struct DepthLoss: Sendable, Codable, Equatable {
    public var criterion: Criterion
    public var l1Weight: Double
    public var silogWeight: Double
    public var silogLambda: Double
    public var depthNorm: Bool
    public var maxDepth: Double

    public init(criterion: Criterion, l1Weight: Double = 0.237, silogWeight: Double = 0.637,
                silogLambda: Double = 0.869, depthNorm: Bool, maxDepth: Double) {
        self.criterion = criterion
        self.l1Weight = l1Weight
        self.silogWeight = silogWeight
        self.silogLambda = silogLambda
        self.depthNorm = depthNorm
        self.maxDepth = maxDepth
    }

    /// The loss of `pred` against `gt` (both `count` floats); writes dLoss/dpred into
    /// `grad` when given. nil when no pixel is valid (PyTorch would give NaN).
    public func evaluate(pred: UnsafePointer<Float>, gt: UnsafePointer<Float>, count: Int,
                         grad: UnsafeMutablePointer<Float>?) -> Float? {
        let scale: Float = depthNorm ? Float(maxDepth) : 1
        let eps: Float = 1e-6
        var n = 0
        var absSum = 0.0, dSum = 0.0, d2Sum = 0.0
        let needSI = criterion != .L1
        for i in 0..<count where gt[i] > 0 {
            let p = pred[i] * scale, g = gt[i] * scale
            n += 1
            absSum += Double(abs(p - g))
            if needSI {
                let d = Double(Foundation.log(Swift.max(p, eps)) - Foundation.log(g))
                dSum += d
                d2Sum += d * d
            }
        }
        guard n > 0 else {
            grad?.update(repeating: 0, count: count)
            return nil
        }
        let nd = Double(n)
        let l1 = absSum / nd
        let meanD = dSum / nd
        let silog = needSI ? (d2Sum / nd - silogLambda * meanD * meanD).squareRoot() : 0
        let (w1, ws): (Double, Double)
        let value: Double
        switch criterion {
        case .L1: (w1, ws) = (1, 0); value = l1
        case .SIlog: (w1, ws) = (0, 1); value = silog
        case .Combined: (w1, ws) = (l1Weight, silogWeight); value = l1Weight * l1 + silogWeight * silog
        }
        if let grad {
            // d/dp of w1 * mean|p - g| + ws * sqrt(mean d^2 - lambda mean(d)^2), times the scale.
            let cL1 = Float(w1 / nd)
            let cSI = ws > 0 && silog > 0 ? ws / (nd * silog) : 0
            let lambdaMean = silogLambda * meanD
            for i in 0..<count {
                guard gt[i] > 0 else { grad[i] = 0; continue }
                let p = pred[i] * scale, g = gt[i] * scale
                let diff = p - g
                var gp: Float = diff > 0 ? cL1 : (diff < 0 ? -cL1 : 0)
                if cSI != 0 && p >= eps {
                    let d = Double(Foundation.log(p) - Foundation.log(g))
                    gp += Float(cSI * (d - lambdaMean) / Double(p))
                }
                grad[i] = gp * scale
            }
        }
        return Float(value)
    }
}
