import Foundation
import Ingest
import Support

/// The manifest the last `ingest` of a dataset wrote to its default place, so the next
/// commands find it without being told: `data-manifests/<dataset>.latest` (under the
/// project's home) holds its path.
enum LastIngest {
    static func pointer(_ dataset: DatasetKind, home: ProjectHome?) -> URL {
        homePath("data-manifests/\(dataset.rawValue).latest", home)
    }

    static func manifest(of dataset: DatasetKind, home: ProjectHome?) -> URL? {
        guard let data = try? readFile(pointer(dataset, home: home)) else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !path.isEmpty, FileManager.default.fileExists(atPath: path) else { return nil }
        return URL(fileURLWithPath: path)
    }

    static func remember(_ manifest: URL, of dataset: DatasetKind, home: ProjectHome?) throws {
        try writeFile(Data((manifest.standardizedFileURL.path + "\n").utf8), to: pointer(dataset, home: home))
    }
}
