import Foundation
import Ingest
import Support

/// The manifest the last `ingest` of a dataset wrote to its default place, so the next
/// commands find it without being told: `data-manifests/<dataset>.latest` holds its path.
enum LastIngest {
    static func pointer(_ dataset: DatasetKind) -> URL {
        URL(fileURLWithPath: "data-manifests").appendingPathComponent("\(dataset.rawValue).latest")
    }

    static func manifest(of dataset: DatasetKind) -> URL? {
        guard let data = try? readFile(pointer(dataset)) else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !path.isEmpty, FileManager.default.fileExists(atPath: path) else { return nil }
        return URL(fileURLWithPath: path)
    }

    static func remember(_ manifest: URL, of dataset: DatasetKind) throws {
        try writeFile(Data((manifest.standardizedFileURL.path + "\n").utf8), to: pointer(dataset))
    }
}
