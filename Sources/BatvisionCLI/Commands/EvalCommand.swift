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
        The run: --run NAME (a run name, or its checkpoints/<run> or logs/<run> folder), or the name train forms from the same --dataset, --experiment_name, --batch_size, --learning_rate and --optimizer (and --output_dir). It evaluates the run's latest checkpoint, the one of --checkpoints N, best_model (--best), or any file (--checkpoint PATH).

        The data: the checkpoint's own (the manifest it was trained on), unless --manifest, --dataset_dir or --cache_dir says otherwise: then that data, featurized with the checkpoint's feature settings (train on one dataset, test on another). The feature options below only serve checkpoints that record none (converted from PyTorch). The console names the cache and manifest evaluated. Reports go to <stat_dir>/<run>/<tag>_<split>_{per_sample.csv,summary.json,sheet.png}; --save_predictions adds <tag>_<split>_predictions.h5, every map and its metrics.
        """)

    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Run") var identity: RunIdentityOptions
    @OptionGroup(title: "Run") var name: ModelNameOption
    @OptionGroup(title: "Checkpoint") var checkpoint: CheckpointOptions
    @OptionGroup(title: "Evaluation") var evaluation: EvaluationOptions
    @OptionGroup(title: "Features of a checkpoint without metadata") var features: FeatureOptions
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var gemm: GemmOption

    @Option(name: .customLong("run"), help: "The run to evaluate: its name, or its checkpoints/<run> (or logs/<run>) folder; instead of the options that form its name.")
    var runName: String?

    @Flag(name: .customLong("save_predictions"), help: "Also write every sample's ground truth and predicted map (metres) and its metrics to <tag>_<split>_predictions.h5.")
    var savePredictions = false

    @Flag(name: .customLong("quiet"), help: "No progress display.")
    var quiet = false

    /// The run's name and output folder: --run (a name, or a run folder), else formed from
    /// the run's settings as train forms it.
    func runIdentity(_ id: RunIdentityOptions.Resolved, modelName: String, _ r: inout SettingsResolver) throws -> (name: String, outputDir: URL) {
        guard let run = runName else {
            let name = RunName(modelName: modelName, dataset: data.dataset, batchSize: id.batchSize,
                               learningRate: id.learningRate, optimizer: id.optimizer, experimentName: id.experimentName, seed: id.seed)
            try r.checked { try name.validate() }
            return (name.description, id.outputDir)
        }
        let url = URL(fileURLWithPath: run).standardizedFileURL
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue,
           ["checkpoints", "logs"].contains(url.deletingLastPathComponent().lastPathComponent) {
            return (url.lastPathComponent, url.deletingLastPathComponent().deletingLastPathComponent())
        }
        guard !run.isEmpty, !run.contains("/"), run != ".", run != ".." else {
            throw ValidationError("--run \(run): expected a run name, or a checkpoints/<run> or logs/<run> folder")
        }
        return (run, id.outputDir)
    }

    func resolve() throws -> EvaluationConfig {
        var r = try data.resolver(for: .eval)
        let id = try identity.resolve(&r)
        let (runName, outputDir) = try runIdentity(id, modelName: try name.resolve(&r), &r)
        let feature = try features.config(dataset: data.dataset, &r)
        let manifest = try data.manifestURL(&r)
        var c = EvaluationConfig(runName: runName, outputDir: outputDir,
                                 statDir: try r.path(\.statDir, flag: evaluation.statDir),
                                 cacheDir: try data.cacheDirURL(&r), manifest: manifest, features: feature)
        c.checkpoint = try checkpoint.choice(&r)
        c.splits = try r.value(\.evalOn, flag: evaluation.evalOn).splits
        c.evaluationProtocol = EvaluationProtocol(minDepth: try r.value(\.minDepth, flag: evaluation.minDepth),
                                                  maxEvalDepth: try r.optional(\.maxEvalDepth, flag: evaluation.maxEvalDepth),
                                                  rawDepth: try r.bool(\.rawDepth, flag: evaluation.rawDepth))
        c.datasetDir = data.datasetDir.map { URL(fileURLWithPath: $0) }
        c.targetDepthResize = try r.optional(\.evalDepthResize, flag: evaluation.evalDepthResize.map { .value($0) })
        c.depthBin = try r.value(\.depthBin, flag: evaluation.depthBin)
        c.batchSize = id.batchSize
        c.threads = try threads.parallelism(&r)
        c.gemm = try gemm.engine(&r)
        c.dataGiven = data.manifest != nil || data.datasetDir != nil
        c.savePredictions = savePredictions
        c.showProgress = !quiet && isatty(STDERR_FILENO) != 0
        try r.checked { try c.validate() }
        return c
    }

    func run() throws {
        let outcome = try EvaluationRun(config: try resolve()).run()
        let summary = outcome.report.summary
        for note in outcome.notes { warn("note: \(note)") }
        print("eval \(outcome.checkpoint.path) on \(summary.split) (\(summary.samples) samples) of \(outcome.cache.path) (manifest digest \(outcome.manifestDigest.prefix(16)))")
        print(outcome.report.table())
        for f in outcome.files { print("wrote \(f.path)") }
    }
}
