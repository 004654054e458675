import Foundation
import Support
import Train

/// W&B for one run: started at the first finished epoch (so a refused run leaves nothing on
/// W&B), fed every epoch, given the best epoch as summary at the end. Without the client it
/// says once how to install it and training goes on.
final class WandbLogging {
    let config: TrainingConfig
    let settings: [ResolvedSetting]
    let logs: URL
    private var run: WandbRun?
    private var unavailable = false

    init(config: TrainingConfig, settings: [ResolvedSetting], logs: URL) {
        self.config = config
        self.settings = settings
        self.logs = logs
        unavailable = !(config.wandb.enabled && config.wandb.mode != .disabled)
    }

    /// `logs/<run>/wandb-run-id`: a resumed run goes on in the same W&B run.
    var idFile: URL { logs.appendingPathComponent("wandb-run-id") }

    func epoch(_ record: EpochRecord, picture: URL?, resumed: Bool) {
        if run == nil && !unavailable { start(resumed: resumed) }
        run?.log(record, picture: picture)
    }

    func start(resumed: Bool) {
        if let problem = WandbRun.clientProblem() {
            unavailable = true
            warn("W&B: \(problem); training goes on without it (logs/\(config.runName)/ keeps every epoch: `batvision wandb-sync \(logs.path)` uploads it later)")
            return
        }
        var id = WandbRun.newID()
        if resumed, let data = try? readFile(idFile, limit: 256) {
            let saved = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !saved.isEmpty && saved.allSatisfy({ $0.isLetter || $0.isNumber }) { id = saved }
        }
        try? writeFile(Data((id + "\n").utf8), to: idFile)
        let values = Dictionary(settings.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        let start = WandbRun.Start(project: config.wandb.project, entity: config.wandb.entity, mode: config.wandb.mode,
                                   name: config.runName, id: id, directory: logs, config: values)
        do { run = try WandbRun(start, warn: { warn($0) }) } catch {
            unavailable = true
            warn("W&B: \(plainReason(error)); training goes on without it")
        }
    }

    func finish(best: BestMetric) {
        guard let run else { return }
        if let log = try? RunLog(directory: logs) { run.summary(log.wandbSummary(by: best)) }
        if !run.finish() { warn("W&B: the client did not finish cleanly; `batvision wandb-sync \(logs.path)` uploads the run again") }
    }
}
