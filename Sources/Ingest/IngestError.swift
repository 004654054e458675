import Foundation
import Support

/// Everything that can be wrong with a dataset on disk. Each case names the file (and the
/// CSV line where there is one) and says what was expected, so a user can act on it.
public enum IngestError: ReportableError, Equatable {
    case npy(path: String, reason: String)
    case audio(path: String, reason: String)
    case csv(path: String, line: Int, reason: String)
    case pathEscapesRoot(csv: String, line: Int, value: String)
    case layout(path: String, reason: String)
    case manifest(path: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .npy(path, reason): return "\(path): not a valid .npy file: \(reason)"
        case let .audio(path, reason): return "\(path): audio: \(reason)"
        case let .csv(path, line, reason): return "\(path), line \(line): \(reason)"
        case let .pathEscapesRoot(csv, line, value):
            return "\(csv), line \(line): path '\(value)' leaves the dataset root (absolute, '..' or a symlink pointing out)"
        case let .layout(path, reason): return "\(path): \(reason)"
        case let .manifest(path, reason): return "\(path): manifest: \(reason)"
        case let .invalidArgument(message): return message
        }
    }
}

extension IngestError: LocalizedError {
    public var errorDescription: String? { description }
}
