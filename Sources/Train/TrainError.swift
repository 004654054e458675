import Foundation

/// What can go wrong building a model, reading or writing checkpoints, or training.
/// Each case names the file or setting and what was expected.
public enum TrainError: Error, Equatable, CustomStringConvertible {
    case config(String)
    case checkpoint(path: String, reason: String)
    case shape(name: String, expected: [Int], found: [Int])
    case numerics(String)

    public var description: String {
        switch self {
        case let .config(m): return "configuration: \(m)"
        case let .checkpoint(path, reason): return "\(path): \(reason)"
        case let .shape(name, expected, found): return "tensor \(name): expected shape \(expected), found \(found)"
        case let .numerics(m): return "numerics: \(m)"
        }
    }
}
