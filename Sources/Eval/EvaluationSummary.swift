import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// What `eval` found: mean metrics (SPEC section 5), the constant predictor's figures on
/// the same samples, the depth-binned breakdown, the per-pixel pooled figures, and the
/// breakdown per split and per location (V2).
public struct EvaluationSummary: Codable, Sendable {
    public var checkpoint: String
    public var epoch: Int?
    public var split: String
    public var samples: Int
    public var cache: String
    public var evaluationProtocol: EvaluationProtocol
    /// The per-image mean (the reference's aggregation).
    public var metrics: [String: Double]
    /// Every valid pixel of every sample pooled, then SPEC's formulas.
    public var pooledMetrics: [String: Double]
    /// Predicting the training split's per-pixel mean depth for every sample.
    public var constantPredictor: [String: Double]
    public var constantPooled: [String: Double]
    public var depthBins: [DepthBin]
    public var constantDepthBins: [DepthBin]
    public var perSplit: [String: GroupSummary]
    public var perLocation: [String: GroupSummary]
    /// Valid pixels whose log10 term was not finite (predicted 0): why log10 is inf.
    public var log10NonFinitePixels: Int?

    enum CodingKeys: String, CodingKey {
        case checkpoint, epoch, split, samples, cache, metrics
        case evaluationProtocol = "protocol", pooledMetrics = "pooled_metrics"
        case constantPredictor = "constant_predictor", constantPooled = "constant_pooled"
        case depthBins = "depth_bins", constantDepthBins = "constant_depth_bins"
        case perSplit = "per_split", perLocation = "per_location", log10NonFinitePixels = "log10_nonfinite_pixels"
    }
}
