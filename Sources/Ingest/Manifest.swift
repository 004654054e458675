import Foundation
import Support

/// The tool's version, written into manifests and caches.
public let toolVersion = "0.1.0"

/// Why a sample could not be ingested.
public enum ProblemKind: String, Codable, CaseIterable, Sendable {
    case missingFile = "missing_file"
    case unreadable
    case corruptAudio = "corrupt_audio"
    case corruptDepth = "corrupt_depth"
    case inconsistent
    case badRow = "bad_row"
    case pathEscapesRoot = "path_escapes_root"
}

/// A file of the dataset as it was ingested: path relative to the root, size, SHA-256.
public struct FileRecord: Codable, Equatable, Hashable, Sendable {
    public var path: String
    public var bytes: Int
    public var sha256: String

    public init(path: String, bytes: Int, sha256: String) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
    }
}

extension FileRecord {
    /// What is wrong with a record ingest could not have written: a path that is not a
    /// plain relative one inside the root, a negative size, a checksum that is no SHA-256.
    var problem: String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if path.isEmpty || path.hasPrefix("/") || path.hasPrefix("~") || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "path \(quoted(path)) is not relative to the dataset root (ingest writes paths like loc/depth/x.npy)"
        }
        if bytes < 0 { return "\(clipped(path, limit: 200)) has a size of \(bytes) bytes" }
        if sha256.utf8.count != 64 || !sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
            return "\(clipped(path, limit: 200)) has the checksum '\(clipped(sha256, limit: 80))', not a SHA-256 (64 lowercase hex digits)"
        }
        return nil
    }
}

public struct AudioInfo: Codable, Equatable, Sendable {
    public var channels: Int
    public var sampleRate: Int
    public var frames: Int
    /// `PCM_32`, `FLOAT`, ... for WAV; the .npy dtype (`float32`, ...) for V1 ears.
    public var dtype: String

    public init(channels: Int, sampleRate: Int, frames: Int, dtype: String) {
        self.channels = channels
        self.sampleRate = sampleRate
        self.frames = frames
        self.dtype = dtype
    }
}

public struct DepthInfo: Codable, Equatable, Sendable {
    public var height: Int
    public var width: Int
    public var dtype: String
    /// Fraction of pixels without a measurement: 0, negative, NaN or infinite.
    public var invalidFraction: Double
    /// Smallest and largest valid value, in millimetres as stored (nil when none is valid).
    public var min: Double?
    public var max: Double?
}

/// One sample: a row of a split CSV and what its files hold.
public struct SampleRecord: Codable, Equatable, Sendable {
    public var id: String
    public var split: Split
    public var location: String?
    public var csv: String
    public var line: Int
    public var audio: [FileRecord]
    public var depth: FileRecord
    public var audioInfo: AudioInfo
    public var depthInfo: DepthInfo

    public var files: [FileRecord] { audio + [depth] }
}

/// A sample (or row) that was left out, and why.
public struct Problem: Codable, Equatable, Sendable {
    public var id: String?
    public var csv: String?
    public var line: Int?
    /// The file the problem is about, relative to the root, when there is one.
    public var file: String?
    public var kind: ProblemKind
    public var message: String
    /// Every file the row names (so `validate` does not call them extra).
    public var files: [String]
}

public struct ManifestSummary: Codable, Equatable, Sendable {
    public var samples: Int
    public var perSplit: [String: Int]
    public var perLocation: [String: Int]
    public var problems: Int
    public var problemsByKind: [String: Int]

    public init(samples: [SampleRecord], problems: [Problem]) {
        self.samples = samples.count
        perSplit = Dictionary(grouping: samples, by: { $0.split.rawValue }).mapValues(\.count)
        perLocation = Dictionary(grouping: samples.compactMap(\.location), by: { $0 }).mapValues(\.count)
        self.problems = problems.count
        problemsByKind = Dictionary(grouping: problems, by: { $0.kind.rawValue }).mapValues(\.count)
    }
}

/// Everything `ingest` learnt about a dataset. Plain records, one JSON file.
public struct Manifest: Codable, Equatable, Sendable {
    public static let schemaVersion = 1

    public var schemaVersion: Int
    public var toolVersion: String
    public var dataset: DatasetKind
    public var datasetDir: String
    public var locationBlacklist: [String]
    public var created: String
    public var indexFiles: [FileRecord]
    public var samples: [SampleRecord]
    public var problems: [Problem]
    public var summary: ManifestSummary
    /// SHA-256 of the dataset kind, the index files and the sample records: the content
    /// a feature cache depends on (not where the dataset lives or when it was ingested).
    public var digest: String

    public init(dataset: DatasetKind, datasetDir: String, locationBlacklist: [String], created: String,
                indexFiles: [FileRecord], samples: [SampleRecord], problems: [Problem]) {
        schemaVersion = Self.schemaVersion
        self.toolVersion = Ingest.toolVersion
        self.dataset = dataset
        self.datasetDir = datasetDir
        self.locationBlacklist = locationBlacklist
        self.created = created
        self.indexFiles = indexFiles
        self.samples = samples
        self.problems = problems
        summary = ManifestSummary(samples: samples, problems: problems)
        digest = Self.computeDigest(dataset: dataset, indexFiles: indexFiles, samples: samples)
    }

    public var shortDigest: String { String(digest.prefix(16)) }

    public func samples(in split: Split) -> [SampleRecord] { samples.filter { $0.split == split } }

    static func computeDigest(dataset: DatasetKind, indexFiles: [FileRecord], samples: [SampleRecord]) -> String {
        let hasher = SHA256Hasher()
        let encoder = Manifest.encoder(pretty: false)
        hasher.update(Data(dataset.rawValue.utf8))
        for record in indexFiles { if let d = try? encoder.encode(record) { hasher.update(d) } }
        for record in samples { if let d = try? encoder.encode(record) { hasher.update(d) } }
        return hasher.finalizeHex()
    }

    /// Manifests use snake_case keys; the digest hashes the compact form of each record.
    static func encoder(pretty: Bool) -> JSONEncoder { JSONCoding.encoder(pretty: pretty, snakeCaseKeys: true) }

    /// JSON with one sample or problem per line: readable, greppable, diffable.
    public func encoded() throws -> Data {
        let compact = Manifest.encoder(pretty: false)
        var head = self
        head.samples = []
        head.problems = []
        head.indexFiles = []
        guard var text = String(data: try Manifest.encoder(pretty: true).encode(head), encoding: .utf8) else {
            throw IngestError.manifest(path: "-", reason: "cannot encode")
        }
        func lines<T: Encodable>(_ items: [T]) throws -> String {
            if items.isEmpty { return "[]" }
            let rows = try items.map { String(decoding: try compact.encode($0), as: UTF8.self) }
            return "[\n    " + rows.joined(separator: ",\n    ") + "\n  ]"
        }
        for (key, value) in [("samples", try lines(samples)), ("problems", try lines(problems)),
                             ("index_files", try lines(indexFiles))] {
            // The pretty printer writes an empty array as "[", blank lines, "]".
            if let r = text.range(of: "\"\(key)\" : \\[\\s*\\]", options: .regularExpression) {
                text.replaceSubrange(r, with: "\"\(key)\" : " + value)
            }
        }
        return Data((text + "\n").utf8)
    }

    public func write(to url: URL) throws { try writeFile(try encoded(), to: url) }

    public static func load(from url: URL) throws -> Manifest {
        try decode(try readFile(url), path: url.path)
    }

    /// A manifest from its JSON bytes; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> Manifest {
        let url = URL(fileURLWithPath: path)
        let decoder = JSONCoding.decoder(snakeCaseKeys: true)
        let manifest: Manifest
        do {
            manifest = try decoder.decode(Manifest.self, from: data)
        } catch {
            throw IngestError.manifest(path: url.path, reason: "not a manifest written by `batvision ingest` (\(error))")
        }
        guard manifest.schemaVersion == schemaVersion else {
            throw IngestError.manifest(path: url.path, reason: "schema version \(manifest.schemaVersion), this tool reads \(schemaVersion): run `batvision ingest` again")
        }
        try manifest.checkContent(path: url.path)
        return manifest
    }

    /// Nothing a manifest says of itself is taken at its word: the digest is recomputed from
    /// the records (a cache key, a resume check and `validate` rest on it), the summary
    /// recounted, and every sample must be one CSV row under one id.
    func checkContent(path: String) throws {
        func refuse(_ reason: String) -> IngestError {
            .manifest(path: path, reason: reason + ": the file was edited after ingest; run `batvision ingest` again")
        }
        var firstIndex: [String: Int] = [:], firstRow: [String: Int] = [:]
        for (i, sample) in samples.enumerated() {
            if let j = firstIndex[sample.id] {
                throw refuse("samples \(j + 1) and \(i + 1) have the same id \(quoted(sample.id))")
            }
            firstIndex[sample.id] = i
            let row = "\(sample.csv):\(sample.line)"
            if let j = firstRow[row] {
                throw refuse("samples \(j + 1) (\(quoted(samples[j].id))) and \(i + 1) (\(quoted(sample.id))) are the same CSV row (\(clipped(row, limit: 300)))")
            }
            firstRow[row] = i
        }
        for (i, sample) in samples.enumerated() {
            for file in sample.files {
                if let why = file.problem { throw refuse("sample \(i + 1) (\(quoted(sample.id))): \(why)") }
            }
        }
        for file in indexFiles {
            if let why = file.problem { throw refuse("index file: \(why)") }
        }
        let computed = Self.computeDigest(dataset: dataset, indexFiles: indexFiles, samples: samples)
        guard computed == digest else {
            throw refuse("its digest field says \(clipped(digest, limit: 64)), its content hashes to \(computed)")
        }
        guard summary == ManifestSummary(samples: samples, problems: problems) else {
            throw refuse("its summary (\(summary.samples) samples, \(summary.problems) problems) does not count its records (\(samples.count) samples, \(problems.count) problems)")
        }
    }

    /// Where `ingest` writes the manifest of a dataset by default, relative to the project.
    public static func defaultPath(dataset: DatasetKind, datasetDir: URL) -> String {
        "data-manifests/\(dataset.rawValue)-\(datasetDir.standardizedFileURL.lastPathComponent).json"
    }
}
