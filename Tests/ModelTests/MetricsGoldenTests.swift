import Foundation
import Testing
import TestSupport
import Model

/// Every case of `goldens/metrics` (numpy): the seven metrics at 1e-6 relative, infinities
/// and the all-invalid case (NaN -> 0) included.
@Suite struct MetricsGoldenTests {
    static func cases() throws -> [[String: Any]] { (try Fixtures.index()["metrics"] as? [[String: Any]]) ?? [] }

    @Test func sixCases() throws { #expect(try Self.cases().count == 6) }

    @Test(arguments: 0..<6)
    func metricsMatchNumpy(_ i: Int) throws {
        let c = try Self.cases()[i]
        let gt = try Fixtures.npy("goldens/metrics/\(try #require(c["gt"] as? String))").values
        let pred = try Fixtures.npy("goldens/metrics/\(try #require(c["pred"] as? String))").values
        let expected = try #require(c["abs_rel,rmse,delta1,delta2,delta3,log10,mae"] as? [Any]).compactMap(Fixtures.number)
        #expect(expected.count == 7)
        let m = DepthMetrics(gt: gt, pred: pred, count: gt.count)
        for (k, (mine, want)) in zip(m.values, expected).enumerated() {
            if want.isInfinite {
                #expect(mine == want, "case \(i) \(DepthMetrics.names[k]): \(mine) vs \(want)")
            } else {
                let err = abs(mine - want) / max(abs(want), 1e-30)
                #expect(want == 0 ? mine == 0 : err < 1e-6, "case \(i) \(DepthMetrics.names[k]): \(mine) vs \(want)")
            }
        }
    }
}
