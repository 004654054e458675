import Foundation
import Support

/// The two Batvision datasets the tool reads.
public enum DatasetKind: String, Codable, CaseIterable, Sendable {
    case batvisionv1, batvisionv2

    public var displayName: String { self == .batvisionv1 ? "Batvision V1" : "Batvision V2" }

    /// Audio files per sample: one .npy per ear (V1), one stereo WAV (V2).
    public var audioFilesPerSample: Int { self == .batvisionv1 ? 2 : 1 }
}

public enum Split: String, Codable, CaseIterable, Comparable, Sendable {
    case train, val, test
    private var rank: Int {
        switch self { case .train: return 0; case .val: return 1; case .test: return 2 }
    }
    public static func < (a: Split, b: Split) -> Bool { a.rank < b.rank }
}

/// One row of a split CSV: which files make a sample, before anything is read.
public struct SampleRef: Sendable {
    public var id: String
    public var split: Split
    public var location: String?
    /// The CSV that lists the sample, relative to the root, and the line of its row.
    public var csv: String
    public var line: Int
    /// Audio files relative to the root: V1 has one .npy per ear (left, right), V2 one WAV.
    public var audio: [String]
    public var depth: String
}

/// A row that cannot become a sample (missing column, path leaving the root, ...).
public struct RowProblem: Sendable {
    public var csv: String
    public var line: Int
    public var id: String?
    public var kind: ProblemKind
    public var message: String
}

/// What the CSV files of a dataset list: sample references, the CSVs themselves, and rows
/// that were rejected while reading them.
public struct DatasetListing: Sendable {
    public var samples: [SampleRef] = []
    public var indexFiles: [String] = []
    public var problems: [RowProblem] = []
}

/// Reads the split CSVs of a V1 or V2 dataset (SPEC section 1).
public struct DatasetLayout {
    public let kind: DatasetKind
    public let root: DatasetRoot
    public let blacklist: Set<String>

    public init(kind: DatasetKind, root: DatasetRoot, blacklist: Set<String> = []) {
        self.kind = kind
        self.root = root
        self.blacklist = blacklist
    }

    public func list() throws -> DatasetListing {
        switch kind {
        case .batvisionv1: return try listV1()
        case .batvisionv2: return try listV2()
        }
    }

    /// V1: `ROOT/{train,val,test}.csv`, columns `depth path`, `audio path left`,
    /// `audio path right`, or the 2020 tab-separated form with `raw_l`, `raw_r`, `depth`.
    private func listV1() throws -> DatasetListing {
        guard blacklist.isEmpty else {
            throw IngestError.layout(path: root.url.path, reason: "location_blacklist \(blacklist.sorted().joined(separator: ", ")): Batvision V1 has no location folders")
        }
        var listing = DatasetListing()
        var found = false
        let columns = [Column("audio path left", "raw_l"), Column("audio path right", "raw_r"), Column("depth path", "depth")]
        for split in Split.allCases {
            found = try readSplit("\(split.rawValue).csv", split: split, location: nil, columns: columns,
                                  expected: "the V1 columns 'depth path', 'audio path left', 'audio path right' (or raw_l, raw_r, depth)",
                                  into: &listing) { v in ([[v[0]], [v[1]]], [v[2]]) } || found
        }
        guard found else {
            throw IngestError.layout(path: root.url.path, reason: "no train.csv, val.csv or test.csv: not a Batvision V1 dataset root")
        }
        return listing
    }

    /// V2: `ROOT/<location>/{train,val,test}.csv`, columns `depth path`, `depth file name`,
    /// `audio path`, `audio file name`; blacklisted locations are skipped.
    private func listV2() throws -> DatasetListing {
        var listing = DatasetListing()
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: root.url.path).sorted()
        } catch {
            throw FileError.unreadable(path: root.url.path, reason: plainReason(error))
        }
        let columns = [Column("audio path"), Column("audio file name"), Column("depth path"), Column("depth file name")]
        let folders = entries.filter { name in
            var isDir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: root.url(relative: name).path, isDirectory: &isDir) && isDir.boolValue
        }
        try checkBlacklist(against: folders)
        var locations = 0
        for location in folders where !blacklist.contains(location) {
            var locationHasCSV = false
            for split in Split.allCases {
                locationHasCSV = try readSplit("\(location)/\(split.rawValue).csv", split: split, location: location, columns: columns,
                                               expected: "the V2 columns 'depth path', 'depth file name', 'audio path', 'audio file name'",
                                               into: &listing) { v in ([[v[0], v[1]]], [v[2], v[3]]) } || locationHasCSV
            }
            if locationHasCSV { locations += 1 }
        }
        guard locations > 0 else {
            throw IngestError.layout(path: root.url.path, reason: "no <location>/{train,val,test}.csv found: not a Batvision V2 dataset root")
        }
        return listing
    }

    /// Every blacklisted name must be a location folder of the dataset, exactly: a typo
    /// (`Couloir_sud` for `Couloir_Sud`) would otherwise ingest the location it meant to
    /// leave out without a word.
    private func checkBlacklist(against folders: [String]) throws {
        let unknown = blacklist.filter { !folders.contains($0) }.sorted()
        guard !unknown.isEmpty else { return }
        let hints = unknown.compactMap { name in folders.first { $0.lowercased() == name.lowercased() }.map { "'\(clipped(name, limit: 80))' (did you mean '\($0)'?)" } ?? "'\(clipped(name, limit: 80))'" }
        throw IngestError.layout(path: root.url.path, reason: "location_blacklist names \(hints.joined(separator: ", ")), which is not a location of this dataset; its locations are: \(folders.joined(separator: ", "))")
    }

    /// A CSV column under its name (and the older release's alias).
    private struct Column {
        let names: [String]
        init(_ names: String...) { self.names = names }
    }

    /// Lists the samples of one split CSV (false when there is none): each row's cells,
    /// turned into audio and depth path parts by `files`, resolved inside the root.
    private func readSplit(_ csvRel: String, split: Split, location: String?, columns: [Column], expected: String,
                           into listing: inout DatasetListing,
                           files: ([String]) -> (audio: [[String]], depth: [String])) throws -> Bool {
        let csvURL = root.url(relative: csvRel)
        guard FileManager.default.fileExists(atPath: csvURL.path) else { return false }
        listing.indexFiles.append(csvRel)
        let table = try CSVTable(contentsOf: csvURL)
        var indices: [(String, Int)] = []
        for column in columns {
            guard let index = table.column(column.names) else {
                throw IngestError.csv(path: csvURL.path, line: 1, reason: "header \(clipped(table.header.map { "'\($0)'" }.joined(separator: ", "), limit: 300)) lacks \(expected)")
            }
            indices.append((column.names[0], index))
        }
        rows: for (index, row) in table.rows.enumerated() {
            let id = ([location, split.rawValue].compactMap { $0 } + [String(format: "%06d", index)]).joined(separator: "/")
            guard let values = cells(row, indices, table: table, csvRel: csvRel, id: id, into: &listing) else { continue }
            let (audioParts, depthParts) = files(values)
            var audio: [String] = []
            for parts in audioParts {
                guard let path = resolve(parts, row, csvRel, id, &listing) else { continue rows }
                audio.append(path)
            }
            guard let depth = resolve(depthParts, row, csvRel, id, &listing) else { continue }
            listing.samples.append(SampleRef(id: id, split: split, location: location, csv: csvRel, line: row.line,
                                             audio: audio, depth: depth))
        }
        return true
    }

    /// The named cells of a row, or nil (with a problem recorded) when any is missing or empty.
    private func cells(_ row: CSVTable.Row, _ columns: [(String, Int)], table: CSVTable, csvRel: String,
                       id: String, into listing: inout DatasetListing) -> [String]? {
        var values: [String] = []
        for (name, index) in columns {
            guard index < row.fields.count else {
                listing.problems.append(RowProblem(csv: csvRel, line: row.line, id: id, kind: .badRow,
                                                   message: "row has \(row.fields.count) fields, the header has \(table.header.count): column '\(name)' is missing"))
                return nil
            }
            let value = row.fields[index].trimmingCharacters(in: .whitespaces)
            guard value.utf8.count <= Int(PATH_MAX) else {
                listing.problems.append(RowProblem(csv: csvRel, line: row.line, id: id, kind: .badRow,
                                                   message: "column '\(name)' holds \(value.utf8.count) bytes, longer than any path (\(PATH_MAX)): \(clipped(value))"))
                return nil
            }
            guard !value.isEmpty else {
                listing.problems.append(RowProblem(csv: csvRel, line: row.line, id: id, kind: .badRow,
                                                   message: "column '\(name)' is empty"))
                return nil
            }
            values.append(value)
        }
        return values
    }

    private func resolve(_ parts: [String], _ row: CSVTable.Row, _ csvRel: String, _ id: String,
                         _ listing: inout DatasetListing) -> String? {
        if let r = root.resolve(parts) { return r.relative }
        let value = parts.joined(separator: "/")
        listing.problems.append(RowProblem(csv: csvRel, line: row.line, id: id, kind: .pathEscapesRoot,
                                           message: IngestError.pathEscapesRoot(csv: csvRel, line: row.line, value: clipped(value, limit: 300)).description))
        return nil
    }
}
