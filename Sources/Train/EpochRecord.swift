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
    /// Validation pixels whose log10 term was not finite (predicted 0): why log10 is inf.
    public var log10NonFinitePixels: Int?
    /// Of `seconds`, those the training loop waited for its next batch (the reader did not
    /// keep up); the rest computed. Absent in logs written before it was measured.
    public var dataSeconds: Double?

    /// The share of the epoch spent waiting for data (0: the reader always kept up).
    public var dataWaitFraction: Double? {
        guard let d = dataSeconds, seconds > 0 else { return nil }
        return Swift.min(1, d / seconds)
    }

    /// The most epochs a run may have (`--epochs`).
    public static let maxEpoch = 100_000

    /// What a record read from a file must hold; the reason it does not, or nil.
    var problem: String? {
        guard (1...Self.maxEpoch).contains(epoch) else { return "epoch \(epoch): expected an epoch from 1 to \(Self.maxEpoch)" }
        guard seconds.isFinite, seconds >= 0 else { return "epoch \(epoch): seconds \(seconds), expected a duration of 0 or more" }
        guard samplesPerSecond.isFinite, samplesPerSecond >= 0 else { return "epoch \(epoch): samples_per_s \(samplesPerSecond), expected 0 or more" }
        guard skippedBatches >= 0 else { return "epoch \(epoch): skipped_batches \(skippedBatches), expected 0 or more" }
        if let d = dataSeconds, !(d.isFinite && d >= 0) { return "epoch \(epoch): data_seconds \(d), expected a duration of 0 or more" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case epoch, seconds, metrics
        case trainLoss = "train_loss", samplesPerSecond = "samples_per_s", skippedBatches = "skipped_batches", valLoss = "val_loss"
        case log10NonFinitePixels = "log10_nonfinite_pixels", dataSeconds = "data_seconds"
    }
}
