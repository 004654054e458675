import ArgumentParser
import Foundation
import Support
import Train

struct WandbSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wandb-sync",
        abstract: "Upload runs trained without W&B (their logs/<run>/ folders) through the W&B Python client.",
        discussion: """
        Each run becomes one W&B run named after it: its resolved settings as config, every epoch's train and validation figures (step = epoch), the prediction picture of each validated epoch from results/<run>/, and the best epoch (by the run's best_metric) in the summary. Needs `pip install wandb` for python3 on PATH. Each sync makes a new W&B run.

        Example:
          batvision wandb-sync logs/unet_baseline_batvisionv1_BS128_Lr0.001_AdamW_base_v1_default
        """)

    @Argument(help: "Runs' logs folders (logs/<run>/, holding metrics.jsonl and config.yaml).")
    var runs: [String]

    @Option(name: .customLong("wandb_project"), help: "W&B project (default: the run's wandb_project).")
    var wandbProject: String?
    @Option(name: .customLong("wandb_entity"), help: "W&B entity (default: the run's wandb_entity, else your default).")
    var wandbEntity: String?
    @Option(name: .customLong("wandb_mode"), help: "W&B mode (default: WANDB_MODE when set, else online).")
    var wandbMode: WandbMode?

    func run() throws {
        let logs = try runs.map { try RunLog(directory: URL(fileURLWithPath: $0)) }  // all readable before any upload
        if let problem = WandbRun.clientProblem() { throw SyncError(message: "W&B: \(problem)") }
        let mode = try wandbMode ?? WandbOptions.environmentMode(ProcessInfo.processInfo.environment) ?? .online
        var failed = 0
        for log in logs {
            // logs/<run>/ lies in the run's output folder, beside results/<run>/.
            let run = RunDirectories(outputDir: log.directory.deletingLastPathComponent().deletingLastPathComponent(), runName: log.runName)
            let entity = wandbEntity ?? log.setting("wandb_entity").flatMap { $0 == "null" || $0.isEmpty ? nil : $0 }
            let start = WandbRun.Start(project: wandbProject ?? log.setting("wandb_project") ?? "batvision", entity: entity,
                                       mode: mode, name: log.runName, id: WandbRun.newID(), directory: log.directory,
                                       config: log.settings)
            let wandb = try WandbRun(start, warn: { warn($0) })
            for record in log.records {
                wandb.log(record, picture: record.metrics == nil ? nil : run.prediction(epoch: record.epoch))
            }
            wandb.summary(log.wandbSummary(by: log.bestMetric))
            if wandb.finish() {
                print("wandb-sync: \(log.runName): \(log.records.count) epochs (\(mode.rawValue))")
            } else {
                failed += 1
                warn("wandb-sync: \(log.runName): the W&B client did not finish cleanly (its messages are above)")
            }
        }
        if failed > 0 { throw ExitCode(2) }
    }
}

struct SyncError: ReportableError {
    let message: String
    var description: String { message }
}
