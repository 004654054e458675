import Cache
import Eval
import Foundation
import Model
import Pictures
import Support
import Train

/// One training run as `train` and `experiments run` perform it: the cache, the trainer
/// with its prediction pictures, the progress line on a terminal, and W&B when asked.
struct TrainingSession {
    let config: TrainingConfig
    let settings: [ResolvedSetting]
    var overwrite = false

    func run() throws -> (trainer: Trainer, records: [EpochRecord]) {
        let cache = try CacheResolver.open(config.feature, manifest: config.manifest, cacheDir: config.cacheDir)
        let trainer = try Trainer(config: config, settings: settings, cache: cache)
        trainer.overwrite = overwrite
        // Every validated epoch and every print_tensorboard epochs: PNG alone (PictureFormats),
        // at 2 pixels per point (TensorBoard shows it at screen size; eval's sheet is the paper's).
        trainer.writePredictionSheet = { url, panels, maxDepth, title in
            _ = try PredictionSheet.write(panels, maxDepth: maxDepth, title: title, to: url, formats: .png, pngScale: 2)
        }
        let line = ProgressLine(enabled: isatty(STDOUT_FILENO) != 0)
        trainer.log = { line.clear(); print($0) }
        trainer.progress = { line.show($0.line) }
        let wandb = WandbLogging(config: config, settings: settings, logs: trainer.directories.logs)
        trainer.epochFinished = { record, picture in
            line.clear()
            wandb.epoch(record, picture: picture, resumed: config.resumeEpoch != nil)
        }
        defer { line.clear() }
        let records = try trainer.run()
        wandb.finish(best: config.bestMetric)
        return (trainer, records)
    }
}
