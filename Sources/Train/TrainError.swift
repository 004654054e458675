import Foundation
import Support

/// What can go wrong setting up a run, reading its checkpoints from disk, or training.
/// Each case names the file or setting and what was expected.
public enum TrainError: ReportableError, Equatable {
    case config(String)
    case checkpoint(path: String, reason: String)
    case numerics(String)
    /// The loss stopped being a number: the guide's advice is a lower learning rate.
    case diverged(epoch: Int, batch: Int, loss: Double, learningRate: Double)

    public var description: String {
        switch self {
        case let .config(m): return "configuration: \(m)"
        case let .checkpoint(path, reason): return "\(path): \(reason)"
        case let .numerics(m): return "numerics: \(m)"
        case let .diverged(epoch, batch, loss, lr):
            return "training diverged: the loss became \(loss) at epoch \(epoch), batch \(batch). Train again with a lower learning rate, e.g. --learning_rate \(pythonFloat(lr / 2)) (half of \(pythonFloat(lr))); the learning rate is part of the run name, so that run goes beside this one"
        }
    }
}
