import ArgumentParser
import Cache
import Eval
import Foundation
import Ingest
import Train

/// Which checkpoint to evaluate.
struct CheckpointOptions: ParsableArguments {
    @Option(name: .customLong("checkpoints"), help: "Evaluate the run's checkpoint of epoch N (default: its latest).")
    var checkpoints: Nullable<Int>?
    @Flag(name: .customLong("best"), help: "Evaluate the run's best_model.safetensors.")
    var best = false
    @Option(name: .customLong("checkpoint"), help: "Evaluate this checkpoint file instead (ours, or one converted from PyTorch by scripts/convert_pth.py).")
    var checkpoint: String?

    func choice(_ r: inout SettingsResolver) throws -> CheckpointChoice {
        if let checkpoint { return .file(URL(fileURLWithPath: checkpoint)) }
        if best { return .best }
        guard let epoch = try r.optional("checkpoints", flag: checkpoints) else { return .latest }
        try r.require("checkpoints", epoch, epoch >= 1, expected: "an epoch of 1 or more")
        return .epoch(epoch)
    }
}

/// Where reports go and how they break the errors down (conf/mode/test.yaml).
struct EvaluationOptions: ParsableArguments {
    @Option(name: .customLong("eval_on"), help: "The split to evaluate (both: val and test, each also on its own).")
    var evalOn: EvalSplit?
    @Option(name: .customLong("min_depth"), help: "Leave out pixels whose ground truth is below this many metres (0: the reference's gt > 0; 0.5 as in V2 follow-up work).")
    var minDepth: Double?
    @Option(name: .customLong("max_eval_depth"), help: "Leave out pixels whose ground truth is above this many metres (`null`: none).")
    var maxEvalDepth: Nullable<Double>?
    @Flag(name: .customLong("raw_depth"), inversion: .prefixedNo, help: "Evaluate against the dataset's raw depth maps at their native resolution (the prediction upsampled), not the resized targets.")
    var rawDepth: Bool?
    @Option(name: .customLong("eval_depth_resize"), help: "Evaluate against depth targets resized this way (the checkpoint's features with this depth_resize; featurize them first).")
    var evalDepthResize: DepthResize?
    @Option(name: .customLong("stat_dir"), help: "Where reports go: <stat_dir>/<run>/.")
    var statDir: String?
    @Option(name: .customLong("depth_bin"), help: "Metres per bin of the depth-binned breakdown (0.05 to 100).")
    var depthBin: Double?
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: SPEC's depth metrics, per-sample CSV, summary JSON, picture sheet.",
        discussion: """
        The run is found by its name, formed as train forms it: pass the same --dataset, --experiment_name, --batch_size, --learning_rate and --optimizer (and --output_dir). It evaluates the run's latest checkpoint, the one of --checkpoints N, best_model (--best), or any file (--checkpoint PATH). The checkpoint's own feature settings choose the cache; the feature options below only serve checkpoints that record none (converted from PyTorch). Reports go to <stat_dir>/<run>/<tag>_<split>_{per_sample.csv,summary.json,sheet.png}.
        """)

    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Run") var identity: RunIdentityOptions
    @OptionGroup(title: "Run") var name: ModelNameOption
    @OptionGroup(title: "Checkpoint") var checkpoint: CheckpointOptions
    @OptionGroup(title: "Evaluation") var evaluation: EvaluationOptions
    @OptionGroup(title: "Features of a checkpoint without metadata") var features: FeatureOptions
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var gemm: GemmOption

    func resolve() throws -> EvaluationConfig {
        var r = try data.resolver(files: ["mode/train.yaml", "model/unet_baseline.yaml", "mode/test.yaml"])
        let id = try identity.resolve(&r)
        let modelName = try name.resolve(&r)
        let runName = RunName(modelName: modelName, dataset: data.dataset, batchSize: id.batchSize,
                              learningRate: id.learningRate, optimizer: id.optimizer, experimentName: id.experimentName)
        let feature = try features.config(dataset: data.dataset, &r)
        let manifest = try data.manifestURL(&r)
        var c = EvaluationConfig(runName: runName.description, outputDir: id.outputDir,
                                 statDir: URL(fileURLWithPath: try r.value("stat_dir", flag: evaluation.statDir)),
                                 cacheDir: try data.cacheDirURL(&r), manifest: manifest, features: feature)
        c.checkpoint = try checkpoint.choice(&r)
        c.splits = try r.value("eval_on", flag: evaluation.evalOn).splits
        c.evaluationProtocol = EvaluationProtocol(minDepth: try r.number("min_depth", flag: evaluation.minDepth, in: 0...1000),
                                                  maxEvalDepth: try r.optional("max_eval_depth", flag: evaluation.maxEvalDepth),
                                                  rawDepth: try r.bool("raw_depth", flag: evaluation.rawDepth))
        c.datasetDir = data.datasetDir.map { URL(fileURLWithPath: $0) }
        c.targetDepthResize = evaluation.evalDepthResize
        c.depthBin = try r.number("depth_bin", flag: evaluation.depthBin, in: 0.05...100)
        c.batchSize = id.batchSize
        c.threads = try threads.parallelism(&r)
        c.gemm = try gemm.engine(&r)
        try r.combined(["min_depth", "max_eval_depth", "raw_depth", "manifest"]) { try c.validate() }
        return c
    }

    func run() throws {
        let outcome = try EvaluationRun(config: try resolve()).run()
        let summary = outcome.report.summary
        for note in outcome.notes { warn("note: \(note)") }
        print("eval \(outcome.checkpoint.lastPathComponent) on \(summary.split) (\(summary.samples) samples, \(outcome.cache.path))")
        print(outcome.report.table())
        for f in outcome.files { print("wrote \(f.path)") }
    }
}
