import Foundation
import Support

/// What can go wrong computing, writing or reading features. Each case says what was
/// expected and, where there is one, which file.
public enum CacheError: ReportableError, Equatable {
    case config(String)
    case feature(String)
    case sample(id: String, reason: String)
    case cacheMissing(path: String, hint: String)
    case cacheIncomplete(path: String)
    case cacheMismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case let .config(m): return "configuration: \(m)"
        case let .feature(m): return "features: \(m)"
        case let .sample(id, reason): return "sample \(id): \(reason)"
        case let .cacheMissing(path, hint): return "\(path): no feature cache here. \(hint)"
        case let .cacheIncomplete(path): return "\(path): the cache is not complete (an interrupted featurize?); run featurize again to finish it"
        case let .cacheMismatch(path, reason): return "\(path): \(reason)"
        }
    }
}

extension CacheError: LocalizedError {
    public var errorDescription: String? { description }
}
