import ArgumentParser
import Foundation
import Ingest

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a dataset against its manifest: missing, changed, extra and unreadable files.",
        discussion: "Exit status: 0 when everything matches, 1 on any finding, 2 on errors.")

    @Option(name: .customLong("dataset_dir"), help: "The dataset root (default: the one recorded in the manifest).")
    var datasetDir: String?

    @Option(name: .customLong("manifest"), help: "The manifest written by `batvision ingest`.")
    var manifest: String

    @Flag(name: .customLong("json"), help: "Print the findings as JSON.")
    var json = false

    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    func run() throws {
        let m = try Manifest.load(from: URL(fileURLWithPath: manifest))
        let root = try DatasetRoot(URL(fileURLWithPath: datasetDir ?? m.datasetDir))
        let findings = DatasetValidator(manifest: m, root: root, showProgress: !quiet && isatty(STDERR_FILENO) != 0).run()
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(findings), as: UTF8.self))
        } else {
            for path in findings.missing { print("missing    \(path)") }
            for c in findings.changed { print("changed    \(c.path): \(c.reason)") }
            for c in findings.unreadable { print("unreadable \(c.path): \(c.reason)") }
            for path in findings.extra { print("extra      \(path)") }
            print("validate: \(findings.checkedFiles) files checked against \(manifest): \(findings.missing.count) missing, \(findings.changed.count) changed, \(findings.unreadable.count) unreadable, \(findings.extra.count) extra")
        }
        if !findings.isClean { throw ExitCode(1) }
    }
}
