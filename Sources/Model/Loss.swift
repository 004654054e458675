import Foundation
import Support

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

    /// The criteria's weights and SIlog's lambda a run may use.
    public static let weights = 0.0...1e6
    public static let lambdas = 0.0...1.0

    /// Refuses weights and lambdas outside their ranges (NaN included).
    public func validate() throws {
        guard Self.weights.contains(l1Weight) else { throw SettingViolation("l1_weight", pythonFloat(l1Weight), expected: "a value from 0.0 to 1000000.0") }
        guard Self.weights.contains(silogWeight) else { throw SettingViolation("silog_weight", pythonFloat(silogWeight), expected: "a value from 0.0 to 1000000.0") }
        guard Self.lambdas.contains(silogLambda) else { throw SettingViolation("silog_lambda", pythonFloat(silogLambda), expected: "a value from 0.0 to 1.0") }
    }

    /// The loss of `pred` against `gt` (both `count` floats); writes dLoss/dpred into
    /// `grad` when given. nil when no pixel is valid (PyTorch would give NaN). The sums run
    /// over fixed blocks of `sumBlock` pixels, each in order, then the blocks in order: the
    /// same figures on any number of threads. Each pixel's log ratio is computed once and
    /// kept in `grad` until its gradient replaces it.
    public func evaluate(pred: UnsafePointer<Float>, gt: UnsafePointer<Float>, count: Int,
                         grad: UnsafeMutablePointer<Float>?, par: Parallelism = .allCores) -> Float? {
        let scale: Float = depthNorm ? Float(maxDepth) : 1
        let eps: Float = 1e-6
        let needSI = criterion != .L1
        let blocks = (count + Self.sumBlock - 1) / Self.sumBlock
        let partial = par.map(blocks) { b -> Sums in
            var s = Sums()
            for i in (b * Self.sumBlock)..<Swift.min(count, (b + 1) * Self.sumBlock) where gt[i] > 0 {
                let p = pred[i] * scale, g = gt[i] * scale
                s.n += 1
                s.abs += Double(abs(p - g))
                if needSI {
                    let logRatio = Foundation.log(Swift.max(p, eps)) - Foundation.log(g)
                    grad?[i] = logRatio
                    let d = Double(logRatio)
                    s.d += d
                    s.d2 += d * d
                }
            }
            return s
        }
        let total = partial.reduce(into: Sums()) { t, s in t.n += s.n; t.abs += s.abs; t.d += s.d; t.d2 += s.d2 }
        let n = total.n
        guard n > 0 else {
            grad?.update(repeating: 0, count: count)
            return nil
        }
        let nd = Double(n)
        let l1 = total.abs / nd
        let meanD = total.d / nd
        let silog = needSI ? (total.d2 / nd - silogLambda * meanD * meanD).squareRoot() : 0
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
            par.ranges(count, grain: Self.sumBlock) { range in for i in range {
                guard gt[i] > 0 else { grad[i] = 0; continue }
                let p = pred[i] * scale, g = gt[i] * scale
                let diff = p - g
                var gp: Float = diff > 0 ? cL1 : (diff < 0 ? -cL1 : 0)
                if cSI != 0 && p >= eps {
                    let d = Double(grad[i])  // log(p) - log(g), kept by the sums above
                    gp += Float(cSI * (d - lambdaMean) / Double(p))
                }
                grad[i] = gp * scale
            } }
        }
        return Float(value)
    }

    /// Pixels per partial sum.
    static let sumBlock = 1 << 14

    private struct Sums { var n = 0, abs = 0.0, d = 0.0, d2 = 0.0 }
}
