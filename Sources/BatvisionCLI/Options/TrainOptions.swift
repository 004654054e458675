import ArgumentParser
import Cache
import Foundation
import Model
import Train

/// The model conf's `name`: the first part of the run name (train names runs by it, eval finds them).
struct ModelNameOption: ParsableArguments {
    @Option(name: .customLong("name"), help: "The model's name: the first part of the run name.")
    var name: String?

    func resolve(_ r: inout SettingsResolver) throws -> String {
        try RunIdentityOptions.nameComponent("name", try r.value("name", flag: name), r)
    }
}

/// The U-Net's shape (conf/model/unet_baseline.yaml).
struct ModelOptions: ParsableArguments {
    @OptionGroup var name: ModelNameOption
    @Option(name: .customLong("generator"), help: "The baseline generator: unet_256 (8 levels) or unet_128 (7).")
    var generator: Generator?
    @Option(name: .customLong("num_downs"), help: "U-Net levels, overriding --generator (`null`: the generator's).")
    var numDowns: Nullable<Int>?
    @Option(name: .customLong("ngf"), help: "Filters of the first level (64 in the paper; 16 or 8 for quick CPU runs).")
    var ngf: Int?

    func config(depthNorm: Bool, _ r: inout SettingsResolver) throws -> UNetConfig {
        let generator = try r.value("generator", flag: generator)
        let downs = try r.optional("num_downs", flag: numDowns) ?? generator.levels
        try r.require("num_downs", downs, (5...UNetConfig.maxLevels).contains(downs), expected: "a value from 5 to \(UNetConfig.maxLevels)")
        let filters = try r.number("ngf", flag: ngf, in: 1...UNetConfig.maxFilters)
        return UNetConfig(numDowns: downs, ngf: filters, depthNorm: depthNorm)
    }
}

/// What names a run: `<name>_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment_name>`.
/// Train takes these as its settings; eval takes them to find the run.
struct RunIdentityOptions: ParsableArguments {
    @Option(name: .customLong("experiment_name"), help: "Last part of the run name.")
    var experimentName: String?
    @Option(name: .customLong("learning_rate"), help: "Learning rate (default per dataset).")
    var learningRate: Double?
    @Option(name: .customLong("batch_size"), help: "Samples per step (default per dataset).")
    var batchSize: Int?
    @Option(name: .customLong("optimizer"), help: "The optimiser, with PyTorch's defaults (AdamW weight decay 0.01).")
    var optimizer: OptimizerKind?
    @Option(name: .customLong("output_dir"), help: "Where checkpoints/, results/ and logs/ of runs go.")
    var outputDir: String?

    static let maxBatch = 1 << 16

    struct Resolved {
        var experimentName: String, learningRate: Double, batchSize: Int, optimizer: OptimizerKind, outputDir: URL
    }

    func resolve(_ r: inout SettingsResolver) throws -> Resolved {
        let experiment = try Self.nameComponent("experiment_name", try r.value("experiment_name", flag: experimentName), r)
        let lr = try r.value("learning_rate", flag: learningRate)
        try r.require("learning_rate", lr, lr > 0 && lr <= 10 && lr.isFinite, expected: "a positive number up to 10")
        return Resolved(experimentName: experiment, learningRate: lr,
                        batchSize: try r.number("batch_size", flag: batchSize, in: 1...Self.maxBatch),
                        optimizer: try r.value("optimizer", flag: optimizer),
                        outputDir: URL(fileURLWithPath: try r.value("output_dir", flag: outputDir)))
    }

    /// A part of the run name is one folder name's worth: no separators, not `.` or `..`.
    static func nameComponent(_ key: String, _ value: String, _ r: SettingsResolver) throws -> String {
        try r.require(key, value, !value.isEmpty && !value.contains("/") && !value.contains("\0") && value != "." && value != "..",
                      expected: "a name without '/' (it names folders)")
        return value
    }
}

/// Training settings under the baseline's flag names; unset ones come from
/// conf/mode/train.yaml, then SPEC's defaults.
struct TrainOptions: ParsableArguments {
    @Option(name: .customLong("epochs"), help: "Epochs to train.")
    var epochs: Int?
    @Option(name: .customLong("criterion"), help: "The loss (Combined = l1_weight * L1 + silog_weight * SIlog).")
    var criterion: Criterion?
    @Option(name: .customLong("l1_weight"), help: "Weight of L1 in Combined.")
    var l1Weight: Double?
    @Option(name: .customLong("silog_weight"), help: "Weight of SIlog in Combined.")
    var silogWeight: Double?
    @Option(name: .customLong("silog_lambda"), help: "SIlog's lambda (0 to 1).")
    var silogLambda: Double?
    @Option(name: .customLong("clip_grad_norm"), help: "Clip gradients to this total L2 norm before each step.")
    var clipGradNorm: Double?
    @Option(name: .customLong("validation"), help: "Validate during training.")
    var validation: BoolSetting?
    @Option(name: .customLong("validation_iter"), help: "Validate every N epochs (and after the last).")
    var validationIter: Int?
    @Option(name: .customLong("saving_checkpoints"), help: "Checkpoint every N epochs (and after the last).")
    var savingCheckpoints: Int?
    @Option(name: .customLong("checkpoints"), help: "Resume from the checkpoint of epoch N (`null`: start afresh).")
    var checkpoints: Nullable<Int>?
    @Flag(name: .customLong("save_best_model"), inversion: .prefixedNo,
          help: "Keep the best epoch (by --best_metric) as best_model.safetensors.")
    var saveBestModel: Bool?
    @Option(name: .customLong("best_metric"), help: "What --save_best_model compares (delta* higher is better).")
    var bestMetric: BestMetric?
    @Option(name: .customLong("shuffle"), help: "Shuffle the training samples every epoch.")
    var shuffle: BoolSetting?
    @Option(name: .customLong("seed"), help: "Seed of the initial weights and of every epoch's order.")
    var seed: UInt64?
    @Option(name: .customLong("prediction_samples"), help: "Validation samples drawn in results/<run>/epoch_NNNN_prediction.png.")
    var predictionSamples: Int?

    static let maxEpochs = EpochRecord.maxEpoch

    func apply(to c: inout TrainingConfig, _ r: inout SettingsResolver) throws {
        c.epochs = try r.number("epochs", flag: epochs, in: 1...Self.maxEpochs)
        c.loss = DepthLoss(criterion: try r.value("criterion", flag: criterion),
                           l1Weight: try r.number("l1_weight", flag: l1Weight, in: 0...1e6),
                           silogWeight: try r.number("silog_weight", flag: silogWeight, in: 0...1e6),
                           silogLambda: try r.number("silog_lambda", flag: silogLambda, in: 0...1),
                           depthNorm: c.feature.depthNorm, maxDepth: c.feature.maxDepth ?? 1)
        c.clipGradNorm = try r.number("clip_grad_norm", flag: clipGradNorm, in: 1e-12...1e12)
        c.validation = try r.bool("validation", flag: validation?.value)
        c.validationIter = try r.number("validation_iter", flag: validationIter, in: 1...Self.maxEpochs)
        c.savingCheckpoints = try r.number("saving_checkpoints", flag: savingCheckpoints, in: 1...Self.maxEpochs)
        c.resumeEpoch = try r.optional("checkpoints", flag: checkpoints)
        if let epoch = c.resumeEpoch {
            try r.require("checkpoints", epoch, (1..<c.epochs).contains(epoch), expected: "an epoch from 1 to \(c.epochs - 1) to resume from")
        }
        c.saveBestModel = try r.bool("save_best_model", flag: saveBestModel)
        c.bestMetric = try r.value("best_metric", flag: bestMetric)
        c.shuffle = try r.bool("shuffle", flag: shuffle?.value)
        c.seed = try r.value("seed", flag: seed)
        c.predictionSamples = try r.number("prediction_samples", flag: predictionSamples, in: 0...64)
    }
}

/// The baseline's W&B flags.
struct WandbOptions: ParsableArguments {
    @Flag(name: .customLong("use_wandb"), inversion: .prefixedNo, help: "Log the run to Weights & Biases.")
    var useWandb: Bool?
    @Option(name: .customLong("wandb_project"), help: "W&B project.")
    var wandbProject: String?
    @Option(name: .customLong("wandb_entity"), help: "W&B entity (`null`: your default).")
    var wandbEntity: Nullable<String>?
    @Option(name: .customLong("wandb_mode"), help: "W&B mode (default: WANDB_MODE when set, else the conf file's).")
    var wandbMode: WandbMode?

    func config(_ r: inout SettingsResolver, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WandbConfig {
        WandbConfig(enabled: try r.bool("use_wandb", flag: useWandb), project: try r.value("wandb_project", flag: wandbProject),
                    entity: try r.optional("wandb_entity", flag: wandbEntity),
                    mode: try Self.mode(flag: wandbMode, &r, environment: environment))
    }

    /// The mode W&B itself is set to: the flag, else WANDB_MODE (as the client reads it), else the conf files.
    static func mode(flag: WandbMode?, _ r: inout SettingsResolver, environment: [String: String]) throws -> WandbMode {
        guard flag == nil, let mode = try environmentMode(environment) else { return try r.value("wandb_mode", flag: flag) }
        r.record("wandb_mode", environment["WANDB_MODE"] ?? "", origin: environmentOrigin)
        return mode
    }

    static let environmentOrigin = "environment variable WANDB_MODE"

    /// WANDB_MODE as the client reads it, when set (train and wandb-sync).
    static func environmentMode(_ environment: [String: String]) throws -> WandbMode? {
        guard let text = environment["WANDB_MODE"], !text.isEmpty else { return nil }
        guard let mode = WandbMode(clientText: text) else {
            throw SettingError.invalid(key: "wandb_mode", value: text, origin: environmentOrigin, expected: "online, offline or disabled")
        }
        return mode
    }
}
