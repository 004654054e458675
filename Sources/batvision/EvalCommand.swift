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
        let epoch = try settings.optionalInt("checkpoints")
        let outcome = try EvaluationRun(settings: settings, checkpointPath: checkpoint, epoch: epoch, best: best).run()
        let summary = outcome.report.summary
        print("eval \(outcome.checkpoint.lastPathComponent) on \(summary.split) (\(summary.samples) samples, \(outcome.cache.path))")
        print(outcome.report.table())
        for f in outcome.files { print("wrote \(f.path)") }
    }
}
