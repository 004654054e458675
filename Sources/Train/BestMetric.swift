import Cache
import Foundation
import Ingest
import Model
import Support

/// The figure `--save_best_model` keeps the best epoch by: a validation metric or the loss.
public enum BestMetric: String, CaseIterable, Codable, Sendable {
    case absRel = "abs_rel", rmse, delta1, delta2, delta3, log10, mae, loss

    /// delta1-3 grow as the model improves; errors and the loss shrink.
    public var higherIsBetter: Bool { DepthMetrics.higherIsBetter(rawValue) }

    /// Whether `figure` beats `other` (equal is not better: the first of equals stays).
    public func isBetter(_ figure: Double, than other: Double) -> Bool {
        higherIsBetter ? figure > other : figure < other
    }

    /// The figure of `record` this metric compares: its validation loss or a validation metric.
    public func figure(of record: EpochRecord) -> Double? {
        self == .loss ? record.valLoss : record.metrics?[rawValue]
    }
}
