import ArgumentParser
import Eval
import Foundation
import Support
import Train

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare training runs: one table of their differing settings and results, with curves as PNG.",
        discussion: """
        Reads each run's logs/<run>/ (config.yaml, metrics.jsonl) and, where `eval` has run, <stat_dir>/<run>/best_test_summary.json (else the latest epoch's). Prints the table and writes into --out: runs.csv (full precision), runs.md, loss.png (train and validation loss per epoch), validation_metrics.png (validation rmse in metres, abs_rel, delta1 per epoch) and, when any run was evaluated, depth_binned_rmse.png (test rmse per ground-truth depth bin). One colour per run in every picture. Each run's best epoch is the one with the best --best_metric.

        Examples:
          batvision compare --logs out/experiments/logs --out out/experiments/comparison
          batvision compare logs/RUN_A logs/RUN_B --stat_dir stats
        """)

    @Argument(help: "Runs' logs folders (logs/<run>/).")
    var runs: [String] = []

    @Option(name: .customLong("logs"), help: "A logs folder: compare every run in it.")
    var logs: String?

    @Option(name: .setting(\.statDir), help: .setting(\.statDir))
    var statDir: String?

    @Option(name: .customLong("out"), help: "Where the table and pictures go (default: comparison, in the project's folder).")
    var out: String?

    @Option(name: .setting(\.bestMetric), help: .setting(\.bestMetric))
    var bestMetric: BestMetric?

    @Flag(name: .customLong("require_beating_constant"),
          help: "Exit 1 (a finding) when a run's best epoch does not beat the constant predictor, naming the runs (the demo checks its matrix learns).")
    var requireBeatingConstant = false

    func validate() throws {
        guard !runs.isEmpty || logs != nil else { throw ValidationError("give runs' logs folders or --logs DIR") }
    }

    func run() throws {
        let folders = try runFolders(runs: runs, logs: logs)
        let home = try ProjectHome.find()
        let table = SettingTable.shared
        let comparison = try RunComparison(logs: try folders.map { try RunLog(directory: $0) },
                                           statDir: statDir.map { URL(fileURLWithPath: $0) } ?? homePath(table.statDir.spec.builtIn(.batvisionv2), home),
                                           metric: bestMetric ?? BestMetric(rawValue: table.bestMetric.spec.builtIn(.batvisionv2)) ?? .rmse)
        print(comparison.table())
        let files = try comparison.write(to: out.map { URL(fileURLWithPath: $0) } ?? homePath("comparison", home))
        print("\nwritten: " + files.map(\.path).joined(separator: ", "))
        if requireBeatingConstant {
            let losing = comparison.entries.filter { comparison.beatsConstant($0) != true }
            for e in losing {
                let why = comparison.beatsConstant(e) == nil ? "has no validated epoch or constant predictor to compare" : "does not beat the constant predictor"
                print("finding    \(e.label) \(why) on validation \(comparison.metric.rawValue)")
            }
            if !losing.isEmpty { throw ExitCode(1) }
        }
    }
}

/// The runs' logs folders: those given, then every folder of `logs` holding a metrics.jsonl.
func runFolders(runs: [String], logs: String?) throws -> [URL] {
    var folders = runs.map { URL(fileURLWithPath: $0) }
    if let logs {
        let root = URL(fileURLWithPath: logs)
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: root.path) } catch {
            throw FileError.unreadable(path: root.path, reason: "\(plainReason(error)) (expected a folder of runs' logs)")
        }
        let found = names.sorted().map { root.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("metrics.jsonl").path) }
        guard !found.isEmpty else {
            throw FileError.unreadable(path: root.path, reason: "no run here (a run's folder logs/<run>/ holds metrics.jsonl)")
        }
        folders += found
    }
    return folders
}
