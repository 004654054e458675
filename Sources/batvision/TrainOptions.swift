import ArgumentParser
import Cache
import Train

/// Training settings under the baseline's flag names; unset ones come from
/// conf/mode/train.yaml and conf/model/unet_baseline.yaml, then SPEC's defaults.
struct TrainOptions: ParsableArguments {
    @Option(name: .customLong("experiment_name"), help: "Last part of the run name.")
    var experimentName: String?
    @Option(name: .customLong("learning_rate"), help: "Learning rate (default per dataset).")
    var learningRate: String?
    @Option(name: .customLong("batch_size"), help: "Samples per step (default per dataset).")
    var batchSize: String?
    @Option(name: .customLong("epochs"), help: "Epochs to train.")
    var epochs: String?
    @Option(name: .customLong("optimizer"), help: "Adam, AdamW or SGD.")
    var optimizer: String?
    @Option(name: .customLong("criterion"), help: "L1, SIlog or Combined.")
    var criterion: String?
    @Option(name: .customLong("l1_weight"), help: "Weight of L1 in Combined.")
    var l1Weight: String?
    @Option(name: .customLong("silog_weight"), help: "Weight of SIlog in Combined.")
    var silogWeight: String?
    @Option(name: .customLong("silog_lambda"), help: "SIlog's lambda.")
    var silogLambda: String?
    @Option(name: .customLong("validation"), help: "true or false: validate during training.")
    var validation: String?
    @Option(name: .customLong("validation_iter"), help: "Validate every N epochs.")
    var validationIter: String?
    @Option(name: .customLong("saving_checkpoints"), help: "Checkpoint every N epochs.")
    var savingCheckpoints: String?
    @Option(name: .customLong("checkpoints"), help: "Resume from the checkpoint of epoch N.")
    var checkpoints: String?
    @Flag(name: .customLong("save_best_model"), help: "Keep the best model (by --best_metric) as best_model.safetensors.")
    var saveBestModel = false
    @Option(name: .customLong("best_metric"), help: "rmse, abs_rel, delta1, delta2, delta3, log10, mae or loss.")
    var bestMetric: String?
    @Option(name: .customLong("shuffle"), help: "true or false: shuffle every epoch.")
    var shuffle: String?
    @Option(name: .customLong("seed"), help: "Seed of the initial weights and the epochs' order.")
    var seed: String?
    @Option(name: .customLong("generator"), help: "unet_256 or unet_128.")
    var generator: String?
    @Option(name: .customLong("num_downs"), help: "U-Net levels (>= 5), overriding --generator.")
    var numDowns: String?
    @Option(name: .customLong("ngf"), help: "Filters of the first level.")
    var ngf: String?
    @Option(name: .customLong("prediction_samples"), help: "Validation samples drawn per validated epoch.")
    var predictionSamples: String?
    @Option(name: .customLong("clip_grad_norm"), help: "Clip gradients to this total L2 norm.")
    var clipGradNorm: String?
    @Option(name: .customLong("output_dir"), help: "Where checkpoints/, results/ and logs/ go.")
    var outputDir: String?
    @Flag(name: .customLong("use_wandb"), help: "Accepted for the baseline's commands; wandb is not available here (see logs/<run>/).")
    var useWandb = false
    @Option(name: .customLong("wandb_project"), help: "Accepted and recorded; see --use_wandb.")
    var wandbProject: String?
    @Option(name: .customLong("wandb_entity"), help: "Accepted and recorded; see --use_wandb.")
    var wandbEntity: String?
    @Option(name: .customLong("wandb_mode"), help: "online, offline or disabled; see --use_wandb.")
    var wandbMode: String?

    func apply(to s: inout Settings) {
        let pairs: [(String, String?)] = [
            ("experiment_name", experimentName), ("learning_rate", learningRate), ("batch_size", batchSize),
            ("epochs", epochs), ("optimizer", optimizer), ("criterion", criterion), ("l1_weight", l1Weight),
            ("silog_weight", silogWeight), ("silog_lambda", silogLambda), ("validation", validation),
            ("validation_iter", validationIter), ("saving_checkpoints", savingCheckpoints), ("checkpoints", checkpoints),
            ("save_best_model", saveBestModel ? "true" : nil), ("best_metric", bestMetric), ("shuffle", shuffle),
            ("seed", seed), ("generator", generator), ("num_downs", numDowns), ("ngf", ngf),
            ("prediction_samples", predictionSamples), ("clip_grad_norm", clipGradNorm), ("output_dir", outputDir),
            ("use_wandb", useWandb ? "true" : nil), ("wandb_project", wandbProject), ("wandb_entity", wandbEntity),
            ("wandb_mode", wandbMode),
        ]
        for (k, v) in pairs { s.set(k, v) }
        for (k, v) in TrainingConfig.defaults { s.setDefault(k, v) }
    }
}
