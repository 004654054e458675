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
        var r = try data.resolver(for: .eval)
        let id = try identity.resolve(&r)
        let modelName = try name.resolve(&r)
        let runName = RunName(modelName: modelName, dataset: data.dataset, batchSize: id.batchSize,
                              learningRate: id.learningRate, optimizer: id.optimizer, experimentName: id.experimentName)
        try r.checked { try runName.validate() }
        let feature = try features.config(dataset: data.dataset, &r)
        let manifest = try data.manifestURL(&r)
        var c = EvaluationConfig(runName: runName.description, outputDir: id.outputDir,
                                 statDir: URL(fileURLWithPath: try r.value(\.statDir, flag: evaluation.statDir)),
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
        try r.checked { try c.validate() }
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
