import Foundation

/// One HDF5 file featurize writes (the whole cache or a shard), with its companions: the
/// partial file it is written as, its progress record and its writer's lock.
public struct CacheFiles: Sendable, Equatable {
    public let file: URL
    public let partial: URL
    public let progress: URL
    public let lock: URL

    /// The name of a finished cache in its key folder.
    public static let fileName = "features.h5"

    /// The whole cache of the key folder `directory`.
    public static func whole(in directory: URL) -> CacheFiles {
        CacheFiles(file: directory.appendingPathComponent(fileName), progressName: "progress.json")
    }

    /// A cache given by the user: a features.h5, or the key folder holding one.
    public static func file(given path: String) -> URL {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else { return url }
        return url.appendingPathComponent(fileName)
    }

    init(file: URL, progressName: String) {
        self.file = file
        partial = file.appendingPathExtension("partial")
        progress = file.deletingLastPathComponent().appendingPathComponent(progressName)
        lock = file.appendingPathExtension("lock")
    }
}
