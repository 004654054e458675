import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// The figures of a group of samples (a split, a location): the per-image mean (the
/// reference's aggregation) and the per-pixel pooled metrics.
public struct GroupSummary: Codable, Sendable, Equatable {
    public var samples: Int
    public var pixels: Int
    public var metrics: [String: Double]
    public var pooledMetrics: [String: Double]

    enum CodingKeys: String, CodingKey { case samples, pixels, metrics, pooledMetrics = "pooled_metrics" }
}
