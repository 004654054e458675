import Foundation
import Testing
@testable import Model
import Support

/// The depth loss beyond the goldens' small batches: blocked sums on several threads, the
/// log ratio kept between the sums and the gradient, invalid pixels and predictions below eps.
@Suite struct LossTests {
    /// SPEC's masked loss written out serially in double, each log taken where it is used:
    /// the loop `DepthLoss.evaluate` replaced.
    static func reference(_ loss: DepthLoss, pred: [Float], gt: [Float]) -> (value: Double, grad: [Double]) {
        let scale = loss.depthNorm ? Float(loss.maxDepth) : 1, eps: Float = 1e-6
        var n = 0.0, absSum = 0.0, dSum = 0.0, d2Sum = 0.0
        for i in pred.indices where gt[i] > 0 {
            let p = pred[i] * scale, g = gt[i] * scale
            n += 1
            absSum += Double(abs(p - g))
            let d = Double(log(max(p, eps)) - log(g))
            dSum += d
            d2Sum += d * d
        }
        let meanD = dSum / n, silog = (d2Sum / n - loss.silogLambda * meanD * meanD).squareRoot()
        let (w1, ws): (Double, Double) = switch loss.criterion {
        case .L1: (1, 0)
        case .SIlog: (0, 1)
        case .Combined: (loss.l1Weight, loss.silogWeight)
        }
        let grad = pred.indices.map { i -> Double in
            guard gt[i] > 0 else { return 0 }
            let p = pred[i] * scale, g = gt[i] * scale
            var gp = Double(p > g ? 1 : (p < g ? -1 : 0)) * w1 / n
            if ws > 0, p >= eps { gp += ws / (n * silog) * (Double(log(p) - log(g)) - loss.silogLambda * meanD) / Double(p) }
            return gp * Double(scale)
        }
        return (w1 * absSum / n + ws * silog, grad)
    }

    static func batch(count: Int) -> (pred: [Float], gt: [Float]) {
        var rng = SeededRandom(seed: 7)
        // Some predictions below eps (and negative), some targets invalid (0).
        let pred = (0..<count).map { i in i % 97 == 0 ? Float(-0.01) : Float(rng.uniform(1e-7, 1)) }
        let gt = (0..<count).map { i in i % 13 == 0 ? 0 : Float(rng.uniform(0.01, 1)) }
        return (pred, gt)
    }

    @Test(arguments: Criterion.allCases)
    func anyThreadCountGivesTheSameBitsAndTheReference(_ criterion: Criterion) {
        let count = 3 * DepthLoss.sumBlock + 123
        let (pred, gt) = Self.batch(count: count)
        let loss = DepthLoss(criterion: criterion, depthNorm: true, maxDepth: 12)
        var results: [(Float, [Float])] = []
        for workers in [1, 2, 3] {
            var grad = [Float](repeating: .nan, count: count)
            let value = loss.evaluate(pred: pred, gt: gt, count: count, grad: &grad, par: Parallelism(workers: workers))
            results.append((value ?? .nan, grad))
        }
        for r in results.dropFirst() {
            #expect(r.0.bitPattern == results[0].0.bitPattern, "\(criterion): value \(r.0) vs \(results[0].0)")
            #expect(r.1.map(\.bitPattern) == results[0].1.map(\.bitPattern), "\(criterion): gradients differ between thread counts")
        }
        let ref = Self.reference(loss, pred: pred, gt: gt)
        #expect(abs(Double(results[0].0) - ref.value) <= 1e-6 * ref.value, "\(criterion): \(results[0].0) vs \(ref.value)")
        let worst = zip(results[0].1, ref.grad).map { abs(Double($0) - $1) / max(abs($1), 1e-12) }.max() ?? .infinity
        #expect(worst < 1e-5, "\(criterion): gradient relative error \(worst)")
        // Without a gradient buffer the value is the same.
        #expect(loss.evaluate(pred: pred, gt: gt, count: count, grad: nil, par: Parallelism(workers: 2))?.bitPattern == results[0].0.bitPattern)
    }

    @Test func noValidPixelGivesNilAndZeroGradient() {
        let loss = DepthLoss(criterion: .Combined, depthNorm: true, maxDepth: 12)
        var grad = [Float](repeating: 1, count: 40_000)
        let value = loss.evaluate(pred: [Float](repeating: 0.5, count: 40_000), gt: [Float](repeating: 0, count: 40_000),
                                  count: 40_000, grad: &grad, par: Parallelism(workers: 2))
        #expect(value == nil && grad.allSatisfy { $0 == 0 })
    }
}
