import Foundation

/// One line of `logs/<run>/metrics.jsonl`.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var seconds: Double
    public var samplesPerSecond: Double
    public var skippedBatches: Int
    public var valLoss: Double?
    public var metrics: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case epoch, seconds, metrics
        case trainLoss = "train_loss", samplesPerSecond = "samples_per_s", skippedBatches = "skipped_batches", valLoss = "val_loss"
    }
}
