import ArgumentParser
import Foundation
import Ingest

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read a raw dataset, write its manifest and report missing or corrupt samples.",
        discussion: """
        The dataset folder and the location blacklist default to the dataset's conf file. The manifest goes to data-manifests/<dataset>-<folder name>.json unless --manifest says otherwise; featurize, train and eval then find it without being told.

        Exit status: 0 when every listed sample is sound, 1 when some were left out (listed as problems), 2 on errors.
        """)

    @Option(name: .setting(\.dataset), help: .setting(\.dataset))
    var dataset: DatasetKind

    @Option(name: .setting(\.datasetDir), help: .setting(\.datasetDir))
    var datasetDir: String?

    @Option(name: .customLong("manifest"), help: "Where to write the manifest (default: data-manifests/<dataset>-<folder name>.json).")
    var manifest: String?

    @Option(name: .setting(\.locationBlacklist), parsing: .upToNextOption, help: .setting(\.locationBlacklist))
    var blacklist: [String] = []

    @Option(name: .customLong("conf_dir"), help: "The folder of YAML conf files (default: conf, when it exists).")
    var confDir: String?

    @Flag(name: .customLong("strict"), help: "Treat any problem as fatal: write no manifest.")
    var strict = false

    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    func run() throws {
        var r = try SettingsResolver.forConfDir(confDir, dataset: dataset, command: .ingest)
        let rootURL = try r.path(\.datasetDir, flag: datasetDir)
        let blacklist = try r.value(\.locationBlacklist, flag: self.blacklist.isEmpty ? nil : NameList(self.blacklist)).names
        let manifestURL = manifest.map { URL(fileURLWithPath: $0) } ?? homePath(Manifest.defaultPath(dataset: dataset, datasetDir: rootURL), r.home)
        let root = try DatasetRoot(rootURL)
        let ingestor = Ingestor(kind: dataset, root: root, blacklist: blacklist,
                                showProgress: !quiet && isatty(STDERR_FILENO) != 0)
        let start = Date()
        let m = try ingestor.run()
        let seconds = Date().timeIntervalSince(start)
        for p in m.problems { warn("problem [\(p.kind.rawValue)] \(p.id ?? "-"): \(p.message)") }
        if strict && !m.problems.isEmpty {
            warn("ingest: \(m.problems.count) problem(s) and --strict: no manifest written")
            throw ExitCode(1)
        }
        try m.write(to: manifestURL)
        if manifest == nil { try LastIngest.remember(manifestURL, of: dataset, home: r.home) }
        print(Self.summary(m, seconds: seconds, path: manifestURL.path))
        if !m.problems.isEmpty { throw ExitCode(1) }
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
