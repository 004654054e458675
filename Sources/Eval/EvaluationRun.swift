import Cache
import Foundation
import Ingest
import Train

/// `eval` end to end: resolves the checkpoint (the run's `checkpoint_<N>`, `best_model`,
/// its latest, or a given file), rebuilds its model, opens the cache of its own feature
/// settings, evaluates the split and writes the reports to `<stat_dir>/<run>/`.
public struct EvaluationRun {
    public var settings: Settings
    public var checkpointPath: String?
    public var epoch: Int?
    public var best = false

    public init(settings: Settings, checkpointPath: String?, epoch: Int?, best: Bool) {
        self.settings = settings
        self.checkpointPath = checkpointPath
        self.epoch = epoch
        self.best = best
    }

    public struct Outcome {
        public var checkpoint: URL
        public var cache: URL
        public var report: EvaluationReport
        public var files: [URL]
    }

    public func run() throws -> Outcome {
        // `checkpoints` names the epoch to evaluate here, not one to resume from.
        var runSettings = settings
        runSettings.set("checkpoints", "null")
        let trainingConfig = try TrainingConfig(settings: runSettings)
        let splitName = try settings.string("eval_on")
        guard let split = Split(rawValue: splitName), split != .train else {
            throw TrainError.config("eval_on = '\(splitName)': expected test or val")
        }
        let directories = RunDirectories(outputDir: URL(fileURLWithPath: trainingConfig.outputDir), runName: trainingConfig.runName)
        let url = try CheckpointLocator.resolve(path: checkpointPath, epoch: epoch, best: best, directories: directories)
        let (tensors, info) = try Checkpoint.read(url)
        let (modelConfig, featureConfig, digest) = try CheckpointLocator.configuration(of: info, tensors: tensors, settings: settings, source: url.path)
        let cache = try CacheResolver.open(settings, config: featureConfig, manifestDigest: digest)
        let model = try UNet(modelConfig)
        try model.load(stateDict: tensors, source: url.path)

        var evaluator = Evaluator(model: model, cache: cache, split: split)
        evaluator.batchSize = max(1, min(trainingConfig.batchSize, 64))
        evaluator.binWidth = try settings.double("depth_bin")
        let (samples, summary) = try evaluator.run(checkpointName: url.path, epoch: info?.epoch)
        guard !samples.isEmpty else {
            throw TrainError.config("the \(split.rawValue) split of \(cache.path.path) is empty: nothing to evaluate")
        }
        let report = EvaluationReport(samples: samples, summary: summary)
        let panels = try evaluator.panels(report.bestMedianWorst().map(\.sample))
        let runName = info?.runName ?? url.deletingPathExtension().lastPathComponent
        let tag: String
        if url.lastPathComponent == RunDirectories.bestName {
            tag = "best"
        } else if let info {
            tag = String(format: "epoch_%04d", info.epoch)
        } else {
            tag = url.deletingPathExtension().lastPathComponent
        }
        let outDir = URL(fileURLWithPath: try settings.string("stat_dir")).appendingPathComponent(runName)
        let files = try report.write(to: outDir, prefix: "\(tag)_\(split.rawValue)", panels: panels,
                                     maxDepth: featureConfig.maxDepth ?? 30)
        return Outcome(checkpoint: url, cache: cache.path, report: report, files: files)
    }
}
