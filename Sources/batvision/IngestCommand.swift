import ArgumentParser
import Foundation
import Ingest

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read a raw dataset, write its manifest and report missing or corrupt samples.",
        discussion: "Exit status: 0 when every listed sample is sound, 1 when some were left out (listed as problems), 2 on errors.")

    @OptionGroup var data: DatasetOptions

    @Option(name: .customLong("location_blacklist"), parsing: .upToNextOption,
            help: "V2 location folders to leave out.")
    var blacklist: [String] = []

    @Flag(name: .customLong("strict"), help: "Treat any problem as fatal: write no manifest.")
    var strict = false

    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    func run() throws {
        let root = try DatasetRoot(data.rootURL)
        let ingestor = Ingestor(kind: data.dataset, root: root, blacklist: blacklist,
                                showProgress: !quiet && isatty(STDERR_FILENO) != 0)
        let start = Date()
        let manifest = try ingestor.run()
        let seconds = Date().timeIntervalSince(start)
        for p in manifest.problems { warn("problem [\(p.kind.rawValue)] \(p.id ?? "-"): \(p.message)") }
        if strict && !manifest.problems.isEmpty {
            warn("ingest: \(manifest.problems.count) problem(s) and --strict: no manifest written")
            throw ExitCode(1)
        }
        try manifest.write(to: data.manifestURL)
        print(Self.summary(manifest, seconds: seconds, path: data.manifestURL.path))
        if !manifest.problems.isEmpty { throw ExitCode(1) }
    }

    static func summary(_ m: Manifest, seconds: Double, path: String) -> String {
        var lines = ["ingest: \(m.summary.samples) samples of \(m.dataset.displayName) in \(String(format: "%.1f", seconds)) s (\(String(format: "%.0f", Double(m.summary.samples) / max(seconds, 1e-9))) samples/s), manifest \(path), digest \(m.shortDigest)"]
        lines.append("  splits: " + Split.allCases.map { "\($0.rawValue) \(m.summary.perSplit[$0.rawValue] ?? 0)" }.joined(separator: ", "))
        if !m.summary.perLocation.isEmpty {
            lines.append("  locations: " + m.summary.perLocation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        let kinds = m.summary.problemsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("  problems: \(m.summary.problems)" + (kinds.isEmpty ? "" : " (\(kinds))"))
        return lines.joined(separator: "\n")
    }
}
