import ArgumentParser
import Cache
import Eval
import Foundation
import Train

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the Batvision U-Net baseline, streaming from the feature cache.",
        discussion: """
        Run name: unet_baseline_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment_name>.
        Writes checkpoints/<run>/checkpoint_<epoch>.safetensors (PyTorch state_dict names;
        optimiser state beside it), results/<run>/epoch_NNNN_prediction.png and logs/<run>/
        (config.yaml, metrics.jsonl, TensorBoard events). The cache must exist: featurize first.
        Example (a small CPU model):
          batvision train --dataset batvisionv2 --num_downs 6 --ngf 16 --images_size 64 --epochs 10
        """)

    @OptionGroup var features: FeatureOptions
    @OptionGroup var training: TrainOptions

    @Flag(name: .customLong("overwrite"), help: "Start over even if the run already has checkpoints (they are replaced).")
    var overwrite = false

    func run() throws {
        var settings = try features.settings(extraConf: ["mode/train.yaml", "model/unet_baseline.yaml"])
        training.apply(to: &settings)
        let config = try TrainingConfig(settings: settings)
        if (try? settings.bool("use_wandb")) == true && settings["wandb_mode"] != "disabled" {
            warn("note: wandb is not available in this tool; metrics go to logs/\(config.runName)/metrics.jsonl and TensorBoard event files (tensorboard --logdir logs)")
        }
        let cache = try CacheResolver.open(settings)
        let trainer = try Trainer(config: config, settings: settings, cache: cache)
        trainer.overwrite = overwrite
        trainer.writePredictionSheet = { url, panels, maxDepth in
            try PredictionSheet.write(panels, maxDepth: maxDepth, to: url)
        }
        let records = try trainer.run()
        if let last = records.last(where: { $0.metrics != nil }), let m = last.metrics {
            print("validation after epoch \(last.epoch): " + DepthMetrics.names.map { String(format: "%@ %.4f", $0, m[$0] ?? .nan) }.joined(separator: "  "))
        }
        print("checkpoints: \(trainer.directories.checkpoints.path)")
    }
}
