import Foundation

/// The folder a dataset lives in. Resolves CSV paths relative to it and refuses any that
/// leave it: absolute paths, `..` that climbs out, or a symlink that points outside.
public struct DatasetRoot: Sendable {
    public let url: URL
    /// The root with every symlink resolved, to compare resolved file paths against.
    private let resolvedPath: String

    public init(_ url: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw IngestError.layout(path: url.path, reason: "dataset root is not a folder")
        }
        self.url = url.standardizedFileURL
        self.resolvedPath = self.url.resolvingSymlinksInPath().path
    }

    /// The file a CSV names, or nil when the relative path leaves the root.
    /// `parts` are joined as the reference loader joins them (`os.path.join(root, *parts)`).
    public func resolve(_ parts: String...) -> (url: URL, relative: String)? {
        resolve(parts)
    }

    public func resolve(_ parts: [String]) -> (url: URL, relative: String)? {
        var components: [String] = []
        for part in parts {
            let p = part.trimmingCharacters(in: .whitespaces)
            if p.hasPrefix("/") || p.hasPrefix("~") { return nil }
            for comp in p.split(separator: "/", omittingEmptySubsequences: true) {
                switch comp {
                case ".": continue
                case "..":
                    if components.isEmpty { return nil }
                    components.removeLast()
                default: components.append(String(comp))
                }
            }
        }
        guard !components.isEmpty else { return nil }
        let relative = components.joined(separator: "/")
        let file = url.appendingPathComponent(relative)
        // A symlink anywhere on the way may point out of the root: compare resolved paths.
        let resolved = file.resolvingSymlinksInPath().path
        guard resolved == resolvedPath || resolved.hasPrefix(resolvedPath + "/") else { return nil }
        return (file, relative)
    }

    public func url(relative: String) -> URL { url.appendingPathComponent(relative) }

    /// The file of a manifest path, checked again when it is read: a symlink put in place
    /// after ingest must not lead outside the root either.
    public func checkedURL(relative: String) throws -> URL {
        guard let (file, _) = resolve([relative]) else {
            throw IngestError.layout(path: url(relative: relative).path, reason: "leaves the dataset root \(url.path) (a symlink pointing out, or '..'): refused")
        }
        return file
    }
}
