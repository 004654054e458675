import ArgumentParser
import Cache
import Eval
import Foundation
import Model
import Train

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the Batvision U-Net baseline, streaming from the feature cache.",
        discussion: """
        Run name: unet_baseline_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment_name>. On a terminal a progress line shows the batch, samples/s, the loss so far and the time left. It writes checkpoints/<run>/checkpoint_<epoch>.safetensors (PyTorch state_dict names, the optimiser state beside it), results/<run>/epoch_NNNN_prediction.png and logs/<run>/ (config.yaml with each value's origin, metrics.jsonl, TensorBoard events). The cache must exist: featurize first. --use_wandb logs the run to Weights & Biases through its Python client (pip install wandb; mode: --wandb_mode, else WANDB_MODE, else the conf file's). Every conf key is also a flag of the same name; flags win over conf files.

        Example (a small CPU model):
          batvision train --dataset batvisionv2 --num_downs 6 --ngf 16 --images_size 64 --epochs 10
        """)

    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Features") var features: FeatureOptions
    @OptionGroup(title: "Run") var identity: RunIdentityOptions
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Training") var training: TrainOptions
    @OptionGroup(title: "Weights & Biases") var wandb: WandbOptions
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var gemm: GemmOption

    @Flag(name: .customLong("overwrite"), help: "Start over even if the run already has checkpoints (they are replaced).")
    var overwrite = false

    /// The run's typed configuration and the resolved settings behind it.
    func resolve() throws -> (TrainingConfig, [ResolvedSetting]) {
        var r = try data.resolver(for: .train)
        let feature = try features.config(dataset: data.dataset, &r)
        let manifest = try data.manifestURL(&r)
        let cacheDir = try data.cacheDirURL(&r)
        let id = try identity.resolve(&r)
        var c = TrainingConfig(feature: feature, manifest: manifest, cacheDir: cacheDir, outputDir: id.outputDir,
                               learningRate: id.learningRate, batchSize: id.batchSize,
                               model: try model.config(depthNorm: feature.depthNorm, &r))
        c.modelName = try model.name.resolve(&r)
        c.experimentName = id.experimentName
        c.optimizer = id.optimizer
        c.seed = id.seed
        try training.apply(to: &c, &r)
        c.wandb = try wandb.config(&r)
        c.threads = try threads.parallelism(&r)
        c.gemm = try gemm.engine(&r)
        try r.checked { try c.validate() }
        return (c, r.resolved)
    }

    func run() throws {
        let (config, settings) = try resolve()
        let (trainer, records) = try TrainingSession(config: config, settings: settings, overwrite: overwrite).run()
        if let last = records.last(where: { $0.metrics != nil }), let m = last.metrics {
            print("validation after epoch \(last.epoch): " + DepthMetrics.names.map { String(format: "%@ %.4f", $0, m[$0] ?? .nan) }.joined(separator: "  "))
        }
        print("checkpoints: \(trainer.directories.checkpoints.path)")
    }
}
