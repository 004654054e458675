import ArgumentParser
import Eval
import Foundation
import Support
import Train

struct ExperimentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "Run a matrix of training runs (experiments/*.yaml) and compare them.",
        subcommands: [ExperimentsRunCommand.self])
}

struct ExperimentsRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train every run of a plan in order: finished runs are skipped, interrupted ones resume from their last checkpoint.",
        discussion: """
        A plan names each run and its `batvision train` flags (experiments/batvisionv1-guide.yaml is the V1 guide's matrix). Every run is checked before any is trained. A run's cache is featurized first when missing. At the end a table compares the runs (as `batvision compare` does).

        --set key=value changes a setting in every run (replacing the run's own flag), e.g. to try the whole matrix quickly on a synthetic dataset:
          batvision experiments run experiments/batvisionv1-guide.yaml --set num_downs=5 --set ngf=8 --set images_size=64 --set epochs=4 --set batch_size=16 --set output_dir=out/experiments
        --seeds N trains every run with seeds 0 to N-1 (run names end in _seed<N> but for seed 0) and the comparison gives each run's mean ± standard deviation over them.

        --dry-run prints the runs' commands and trains nothing.
        """)

    @Argument(help: "The plan: a YAML file of runs (name, flags).")
    var file: String

    @Option(name: .customLong("only"), parsing: .upToNextOption, help: "Run only these runs (by name).")
    var only: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Print each run's `batvision train` command; train nothing.")
    var dryRun = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Change a setting in every run: key=value, key any train setting (repeatable).", valueName: "key=value"))
    var set: [SettingOverride] = []

    @Option(name: .customLong("seeds"), help: "Train every run with seeds 0 to N-1 (1 to 100); compare shows mean ± std over them.")
    var seeds: Int = 1

    func validate() throws {
        guard (1...100).contains(seeds) else { throw ValidationError("--seeds \(seeds): expected 1 to 100") }
    }

    /// The plan's runs, each once per seed when `--seeds` asks for several.
    func expanded(_ runs: [ExperimentPlan.Run]) -> [ExperimentPlan.Run] {
        guard seeds > 1 else { return runs }
        return runs.flatMap { run in
            (0..<seeds).map { seed in
                ExperimentPlan.Run(name: "\(run.name)_seed\(seed)",
                                   flags: SettingOverride(key: "seed", value: "\(seed)").apply(to: run.flags))
            }
        }
    }

    func run() throws {
        let plan = try ExperimentPlan.read(URL(fileURLWithPath: file))
        let unknown = only.filter { name in !plan.runs.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw ValidationError("--only \(unknown.joined(separator: " ")): no such run in \(file) (its runs: \(plan.runs.map(\.name).joined(separator: ", ")))")
        }
        let runs = expanded(only.isEmpty ? plan.runs : plan.runs.filter { only.contains($0.name) })
        let runner = ExperimentRunner(plan: plan, path: file, overrides: set)
        if dryRun {
            for run in runs { print((["batvision", "train"] + runner.arguments(run)).joined(separator: " ")) }
            return
        }
        let prepared = try runner.prepare(runs)
        var outcomes: [(String, ExperimentRunner.Outcome)] = []
        for (i, p) in prepared.enumerated() {
            print("\n== [\(i + 1)/\(prepared.count)] \(p.run.name): batvision train \(p.arguments.joined(separator: " "))")
            let outcome = runner.perform(p)
            if outcome != .trained { print("\(p.run.name): \(outcome.text)") }
            outcomes.append((p.run.name, outcome))
        }
        print("\n== \(file): \(prepared.count) runs")
        for (name, outcome) in outcomes { print("  \(name): \(outcome.text)") }
        let logs = prepared.compactMap { try? RunLog(directory: RunDirectories(outputDir: $0.config.outputDir, runName: $0.config.runName).logs) }
        if !logs.isEmpty {
            print("")
            let statDir = homePath(SettingTable.shared.statDir.spec.builtIn(.batvisionv2), try ProjectHome.find())
            print(try RunComparison(logs: logs, statDir: statDir, metric: .rmse).table())
        }
        if outcomes.contains(where: { if case .failed = $0.1 { return true } else { return false } }) { throw ExitCode(2) }
    }
}
