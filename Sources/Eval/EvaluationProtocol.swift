import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// Which pixels and which ground truth the figures are over (`eval --min_depth`,
/// `--max_eval_depth`, `--raw_depth`); the defaults are the reference's.
public struct EvaluationProtocol: Codable, Sendable, Equatable {
    /// Metres: pixels with ground truth below are left out (0: the reference's gt > 0).
    public var minDepth: Double = 0
    /// Metres: pixels with ground truth above are left out (nil: none).
    public var maxEvalDepth: Double?
    /// Against the dataset's raw depth maps at their native resolution (the prediction
    /// upsampled bilinearly to them) instead of the cached, resized targets.
    public var rawDepth = false

    public init(minDepth: Double = 0, maxEvalDepth: Double? = nil, rawDepth: Bool = false) {
        self.minDepth = minDepth
        self.maxEvalDepth = maxEvalDepth
        self.rawDepth = rawDepth
    }

    public static let reference = EvaluationProtocol()

    public var range: DepthRange { DepthRange(min: Float(minDepth), max: maxEvalDepth.map(Float.init) ?? .infinity) }

    enum CodingKeys: String, CodingKey { case minDepth = "min_depth", maxEvalDepth = "max_eval_depth", rawDepth = "raw_depth" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(minDepth, forKey: .minDepth)
        try c.encode(maxEvalDepth, forKey: .maxEvalDepth)
        try c.encode(rawDepth, forKey: .rawDepth)
    }
}
