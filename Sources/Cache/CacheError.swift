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
    /// Files whose bytes are no longer those the manifest hashed at ingest, per sample id.
    case changedSince(manifest: String, files: [ChangedFile])

    public struct ChangedFile: Equatable, Sendable {
        public var sample: String
        public var path: String
        public init(sample: String, path: String) {
            self.sample = sample
            self.path = path
        }
    }

    public var description: String {
        switch self {
        case let .config(m): return "configuration: \(m)"
        case let .feature(m): return "features: \(m)"
        case let .sample(id, reason): return "sample \(id): \(reason)"
        case let .cacheMissing(path, hint): return "\(path): no feature cache here. \(hint)"
        case let .cacheIncomplete(path): return "\(path): the cache is not complete (an interrupted featurize?); run featurize again to finish it"
        case let .cacheMismatch(path, reason): return "\(path): \(reason)"
        case let .changedSince(manifest, files):
            let listed = files.prefix(10).map { "\($0.sample) (\(clipped($0.path, limit: 200)))" }.joined(separator: ", ")
            return "\(files.count) sample(s) changed since \(manifest) was written (their files' SHA-256 differ from the manifest's): "
                + listed + (files.count > 10 ? ", ..." : "")
                + ". Nothing of them was cached. `batvision validate` lists every changed file; run `batvision ingest` again to take the dataset as it is now"
        }
    }
}

extension CacheError: LocalizedError {
    public var errorDescription: String? { description }
}
