import ArgumentParser
import Cache
import Eval
import Foundation
import Ingest
import Train

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: SPEC's depth metrics, per-sample CSV, summary JSON, picture sheet.",
        discussion: """
        Picks checkpoints/<run>/checkpoint_<N> (--checkpoints N), best_model (--best), the
        latest checkpoint of the run, or any file (--checkpoint PATH, e.g. one converted from
        PyTorch by scripts/convert_pth.py). The run name is formed as in train, so pass the
        same --dataset, --experiment_name, --batch_size, --learning_rate and --optimizer.
        Reads the cache of the checkpoint's own feature settings and writes
        <stat_dir>/<run>/<tag>_<split>_{per_sample.csv,summary.json,sheet.png}.
        """)

    @OptionGroup var features: FeatureOptions
    @OptionGroup var training: TrainOptions

    @Option(name: .customLong("checkpoint"), help: "A checkpoint file to evaluate instead of the run's.")
    var checkpoint: String?
    @Flag(name: .customLong("best"), help: "Evaluate the run's best_model.safetensors.")
    var best = false
    @Option(name: .customLong("eval_on"), help: "test or val.")
    var evalOn: String?
    @Option(name: .customLong("stat_dir"), help: "Where reports go (default conf/mode/test.yaml: stats).")
    var statDir: String?
    @Option(name: .customLong("depth_bin"), help: "Metres per bin of the depth-binned breakdown.")
    var depthBin: String?

    func run() throws {
        var settings = try features.settings(extraConf: ["mode/train.yaml", "model/unet_baseline.yaml", "mode/test.yaml"])
        training.apply(to: &settings)
        settings.set("eval_on", evalOn)
        settings.set("stat_dir", statDir)
        settings.set("depth_bin", depthBin)
        settings.setDefault("eval_on", "test")
        settings.setDefault("stat_dir", "stats")
        settings.setDefault("depth_bin", "2.0")
        // `checkpoints` names the epoch to evaluate here, not one to resume from.
        let epoch = try settings["checkpoints"].flatMap { raw -> Int? in
            guard !["", "null", "none", "None"].contains(raw) else { return nil }
            guard let n = Int(raw) else { throw ValidationError("--checkpoints expects an epoch number, got \(raw)") }
            return n
        }
        var runSettings = settings
        runSettings.set("checkpoints", "null")
        let trainingConfig = try TrainingConfig(settings: runSettings)
        guard let split = Split(rawValue: try settings.string("eval_on")), split != .train else {
            throw ValidationError("--eval_on expects test or val, got \(settings["eval_on"] ?? "")")
        }
        let directories = RunDirectories(outputDir: URL(fileURLWithPath: trainingConfig.outputDir), runName: trainingConfig.runName)
        let url = try CheckpointLocator.resolve(path: checkpoint, epoch: epoch, best: best, directories: directories)
        let (tensors, info) = try Checkpoint.read(url)
        let (modelConfig, featureConfig, digest) = try CheckpointLocator.configuration(of: info, tensors: tensors, settings: settings, source: url.path)
        let cache = try CacheResolver.open(settings, config: featureConfig, manifestDigest: digest)
        let model = try UNet(modelConfig)
        try model.load(stateDict: tensors, source: url.path)

        var evaluator = Evaluator(model: model, cache: cache, split: split)
        evaluator.batchSize = max(1, min(trainingConfig.batchSize, 64))
        evaluator.binWidth = try settings.double("depth_bin")
        setBLASThreads(1)
        let runName = info?.runName ?? url.deletingPathExtension().lastPathComponent
        let (samples, summary) = try evaluator.run(checkpointName: url.path, epoch: info?.epoch)
        guard !samples.isEmpty else { throw ValidationError("the \(split.rawValue) split of \(cache.path.path) is empty") }
        let report = EvaluationReport(samples: samples, summary: summary)
        let chosen = report.bestMedianWorst()
        let panels = try evaluator.panels(chosen.map(\.sample))
        let tag = (url.lastPathComponent == RunDirectories.bestName ? "best" : info.map { String(format: "epoch_%04d", $0.epoch) } ?? url.deletingPathExtension().lastPathComponent) + "_\(split.rawValue)"
        let outDir = URL(fileURLWithPath: try settings.string("stat_dir")).appendingPathComponent(runName)
        let written = try report.write(to: outDir, prefix: tag, panels: panels, maxDepth: featureConfig.maxDepth ?? 30)
        print("eval \(url.lastPathComponent) on \(split.rawValue) (\(samples.count) samples, \(cache.path.path))")
        print(report.table())
        for f in written { print("wrote \(f.path)") }
    }
}
