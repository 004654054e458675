import ArgumentParser
import Cache
import Foundation
import Ingest
import Support

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a dataset against its manifest, or a feature cache against both.",
        discussion: """
        Without --cache: re-checks every file's size and SHA-256 and reports missing, changed, extra and unreadable files. With --cache PATH (a features.h5 or its folder): checks completeness, attributes, counts, sample ids, shapes and NaN/Inf against the manifest, and with --recheck K recomputes K random samples from the raw files.

        Exit status: 0 when everything matches, 1 on any finding, 2 on errors.
        """)

    @Option(name: .customLong("dataset_dir"), help: "The dataset root (default: the one recorded in the manifest).")
    var datasetDir: String?

    @Option(name: .customLong("manifest"), help: "The manifest written by `batvision ingest`.")
    var manifest: String

    @Option(name: .customLong("cache"), help: "A feature cache (features.h5 or its folder) to check instead of the dataset.")
    var cache: String?

    @Option(name: .customLong("recheck"), help: "With --cache: recompute this many random samples from the raw files (at most every sample).")
    var recheck: Int = 0

    @Flag(name: .customLong("json"), help: "Print the findings as JSON.")
    var json = false

    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    func validate() throws {
        guard recheck >= 0 else { throw ValidationError("--recheck \(recheck): expected 0 or more samples") }
    }

    func run() throws {
        let m = try Manifest.load(from: URL(fileURLWithPath: manifest))
        if let cache {
            try validateCache(cache, manifest: m)
            return
        }
        let root = try DatasetRoot(URL(fileURLWithPath: datasetDir ?? m.datasetDir))
        let findings = DatasetValidator(manifest: m, root: root, showProgress: !quiet && isatty(STDERR_FILENO) != 0).run()
        if json {
            print(String(decoding: try JSONCoding.encoder(pretty: true, snakeCaseKeys: true).encode(findings), as: UTF8.self))
        } else {
            for path in findings.missing { print("missing    \(path)") }
            for c in findings.changed { print("changed    \(c.path): \(c.reason)") }
            for c in findings.unreadable { print("unreadable \(c.path): \(c.reason)") }
            for path in findings.extra { print("extra      \(path)") }
            print("validate: \(findings.checkedFiles) files checked against \(manifest): \(findings.missing.count) missing, \(findings.changed.count) changed, \(findings.unreadable.count) unreadable, \(findings.extra.count) extra")
        }
        if !findings.isClean { throw ExitCode(1) }
    }

    func validateCache(_ path: String, manifest m: Manifest) throws {
        let url = CacheFiles.file(given: path)
        // At most every sample once: the count printed is the count recomputed.
        let recheck = min(self.recheck, m.samples.count)
        let root = recheck > 0 ? try DatasetRoot(URL(fileURLWithPath: datasetDir ?? m.datasetDir)) : nil
        let findings = try CacheValidator(cachePath: url, manifest: m, root: root, recheck: recheck).run()
        if json {
            struct Report: Encodable { var cache: String; var findings: [String] }
            print(String(decoding: try JSONCoding.encoder(pretty: true).encode(Report(cache: url.path, findings: findings)), as: UTF8.self))
        } else {
            for f in findings { print("finding    \(f)") }
            print("validate: cache \(url.path) against \(manifest)\(recheck > 0 ? " (\(recheck) samples recomputed)" : ""): \(findings.count) finding(s)")
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }
}
