import Foundation
import Support

/// What can go wrong setting up a run, reading its checkpoints from disk, or training.
/// Each case names the file or setting and what was expected.
public enum TrainError: ReportableError, Equatable {
    case config(String)
    case checkpoint(path: String, reason: String)
    case numerics(String)

    public var description: String {
        switch self {
        case let .config(m): return "configuration: \(m)"
        case let .checkpoint(path, reason): return "\(path): \(reason)"
        case let .numerics(m): return "numerics: \(m)"
        }
    }
}
