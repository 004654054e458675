import Foundation
import Support

/// What `validate` found when it compared a dataset with its manifest.
public struct DatasetFindings: Codable, Equatable, Sendable {
    public struct Changed: Codable, Equatable, Sendable {
        public var path: String
        public var reason: String
    }
    public var checkedFiles: Int = 0
    public var missing: [String] = []
    public var changed: [Changed] = []
    public var unreadable: [Changed] = []
    public var extra: [String] = []

    public var isClean: Bool { missing.isEmpty && changed.isEmpty && unreadable.isEmpty && extra.isEmpty }
}

/// Re-checks every file's size and checksum against a manifest and looks for files the
/// manifest does not know.
public struct DatasetValidator {
    public var manifest: Manifest
    public var root: DatasetRoot
    public var showProgress: Bool

    public init(manifest: Manifest, root: DatasetRoot, showProgress: Bool = isatty(STDERR_FILENO) != 0) {
        self.manifest = manifest
        self.root = root
        self.showProgress = showProgress
    }

    enum Outcome { case ok, missing, changed(String), unreadable(String) }

    public func run() -> DatasetFindings {
        let records = manifest.indexFiles + manifest.samples.flatMap(\.files)
        let progress = ProgressReporter(label: "validate", total: records.count, enabled: showProgress)
        let outcomes = Parallelism.allCores.map(records.count) { i -> Outcome in
            defer { progress.advance() }
            return check(records[i])
        }
        progress.finish()
        var findings = DatasetFindings()
        findings.checkedFiles = records.count
        for (record, outcome) in zip(records, outcomes) {
            switch outcome {
            case .ok: break
            case .missing: findings.missing.append(record.path)
            case let .changed(reason): findings.changed.append(.init(path: record.path, reason: reason))
            case let .unreadable(reason): findings.unreadable.append(.init(path: record.path, reason: reason))
            }
        }
        var known = Set(records.map(\.path))
        for problem in manifest.problems { known.formUnion(problem.files) }
        findings.extra = listFiles().filter { !known.contains($0) }
        return findings
    }

    func check(_ record: FileRecord) -> Outcome {
        switch PathStatus(root.url(relative: record.path)) {
        case .exists: break
        case .missing: return .missing
        case let .unreachable(why): return .unreadable(why)
        }
        let data: Data
        do { data = try readFile(try root.checkedURL(relative: record.path)) } catch { return .unreadable("\(error)") }
        if data.count != record.bytes { return .changed("size \(data.count) bytes, manifest says \(record.bytes)") }
        let digest = sha256Hex(data)
        if digest != record.sha256 { return .changed("SHA-256 \(digest.prefix(12))..., manifest says \(record.sha256.prefix(12))...") }
        return .ok
    }

    /// Every regular file below the root, relative, skipping hidden files and folders and
    /// blacklisted V2 locations (which the manifest deliberately leaves out).
    func listFiles() -> [String] {
        let blacklisted = Set(manifest.locationBlacklist)
        guard let walker = FileManager.default.enumerator(at: root.url, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else { return [] }
        let base = root.url.path
        var out: [String] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(base + "/") else { continue }
            let rel = String(path.dropFirst(base.count + 1))
            if let top = rel.split(separator: "/").first, blacklisted.contains(String(top)) { continue }
            out.append(rel)
        }
        return out.sorted()
    }
}
