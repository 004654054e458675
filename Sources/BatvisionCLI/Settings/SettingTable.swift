import Cache
import Eval
import Foundation
import Ingest
import Model
import Support
import Train

/// Every setting of the tool, declared once: its key (the conf key and the flag's name),
/// its type, its built-in default per dataset, the values it accepts (as the domain type
/// that checks them states them), its help, and the commands that take it. From this
/// table come the flags' names and help, the conf files' allowed keys, the built-in
/// defaults under the conf files, `batvision settings` (and its JSON, which the Python
/// package ships and reads), and `--set` in experiment plans. The rules themselves live
/// on the domain types (`FeatureConfig.validate`, `TrainingConfig.validate`, ...).
///
/// Adding a setting: one row here, a typed option line that names it
/// (`@Option(name: .setting(\.key), help: .setting(\.key))`), and the code that uses it.
struct SettingTable: Sendable {
    // MARK: data
    let dataset = Setting<DatasetKind>("dataset", .perDataset("batvisionv1", "batvisionv2"),
        help: "The dataset: its conf file conf/dataset/<dataset>.yaml gives the defaults.", commands: .all, feature: "dataset", isRequired: true)
    let datasetDir = Setting<String>("dataset_dir", .perDataset("out/synthetic/batvisionv1", "out/synthetic/batvisionv2"),
        help: "The dataset root: the folder with the split CSVs, or V2's location folders.", commands: [.ingest])
    let manifest = Setting<String>("manifest", .perDataset("data-manifests/batvisionv1-synthetic.json", "data-manifests/batvisionv2-synthetic.json"),
        help: "The manifest written by ingest.",
        discussion: "When not given: the one for --dataset_dir, else the one the last `ingest` wrote to data-manifests/, else the conf file's `manifest`.",
        commands: [.featurize, .train, .eval])
    let cacheDir = Setting<String>("cache_dir", .same("out/cache"),
        help: "Where caches live: <cache_dir>/<dataset>/<key>/.", commands: [.featurize, .train, .eval])
    let locationBlacklist = Setting<NameList>("location_blacklist", .same(""),
        help: "V2 location folders to leave out.", commands: [.ingest])

    // MARK: features (SPEC section 2)
    let audioFormat = Setting<AudioFormat>("audio_format", .perDataset("spectrogram", "mel_spectrogram"),
        help: "The audio features (V1 has no mel_spectrogram).", commands: .features, feature: "audioFormat")
    let maxDepth = Setting<Nullable<Double>>("max_depth", .perDataset("12.0", "30.0"),
        help: "Clip depth at this many metres; `null` for none.", accepts: "metres above 0 and at most \(Int(FeatureConfig.maxDepthLimit)), or null",
        commands: .features, feature: "maxDepth")
    let depthNorm = Setting<BoolSetting>("depth_norm", .perDataset("true", "false"),
        help: "true: divide depth by max_depth (Sigmoid head); false: metres (ReLU head).", commands: .features, feature: "depthNorm")
    let imagesSize = Setting<Int>("images_size", .same("256"),
        help: "Side S of the square features and depth maps.", accepts: accepted(FeatureConfig.imagesSizes),
        commands: .features, feature: "imagesSize")
    let preprocess = Setting<Preprocess>("preprocess", .same("resize"),
        help: "How features become S x S images.", commands: .features, feature: "preprocess")
    let depthResize = Setting<DepthResize>("depth_resize", .same("reference"),
        help: "How the depth target is resized.",
        discussion: "reference: torchvision's antialiased bilinear over the holes too (what the Batvision loaders do); nearest: the nearest source pixel; valid_area: the area-weighted mean of valid pixels only (0 where none).",
        commands: .features, feature: "depthResize")
    let audioOffset = Setting<Int>("audio_offset", .same("0"),
        help: "Samples skipped at the start of each recording (`batvision stats` shows the onsets).",
        accepts: "0 to \(FeatureConfig.maxAudioOffset)", commands: .features, feature: "audioOffset")
    let audioCutMs = Setting<Nullable<Double>>("audio_cut_ms", .same("null"),
        help: "Milliseconds kept after the offset (`null`: the loader's reference window).",
        accepts: "1 to \(Int(FeatureConfig.maxAudioCutMs)) ms, or null", commands: .features, feature: "audioCutMs")

    // MARK: what names a run (SPEC section 4)
    let name = Setting<String>("name", .same("unet_baseline"),
        help: "The model's name: the first part of the run name.", commands: [.train, .eval])
    let experimentName = Setting<String>("experiment_name", .same("default"),
        help: "Last part of the run name.", commands: [.train, .eval])
    let learningRate = Setting<Double>("learning_rate", .perDataset("0.001", "0.002"),
        help: "Learning rate.", accepts: "a positive number up to \(pythonFloat(TrainingConfig.learningRates.upperBound))", commands: [.train, .eval])
    let batchSize = Setting<Int>("batch_size", .perDataset("128", "256"),
        help: "Samples per step.", accepts: accepted(TrainingConfig.batchSizes), commands: [.train, .eval])
    let optimizer = Setting<OptimizerKind>("optimizer", .same("AdamW"),
        help: "The optimiser, with PyTorch's defaults (AdamW weight decay 0.01).", commands: [.train, .eval])
    let outputDir = Setting<String>("output_dir", .same("."),
        help: "Where checkpoints/, results/ and logs/ of runs go.", commands: [.train, .eval])

    // MARK: model (conf/model/unet_baseline.yaml)
    let generator = Setting<Generator>("generator", .same("unet_256"),
        help: "The baseline generator: unet_256 (8 levels) or unet_128 (7).", commands: [.train])
    let numDowns = Setting<Nullable<Int>>("num_downs", .same("null"),
        help: "U-Net levels, overriding --generator (`null`: the generator's).", accepts: accepted(UNetConfig.levels) + ", or null", commands: [.train])
    let ngf = Setting<Int>("ngf", .same("64"),
        help: "Filters of the first level (64 in the paper; 16 or 8 for quick CPU runs).", accepts: accepted(UNetConfig.filters), commands: [.train])

    // MARK: training (conf/mode/train.yaml)
    let epochs = Setting<Int>("epochs", .same("80"), help: "Epochs to train.", accepts: accepted(TrainingConfig.epochCounts), commands: [.train])
    let criterion = Setting<Criterion>("criterion", .same("Combined"),
        help: "The loss (Combined = l1_weight * L1 + silog_weight * SIlog).", commands: [.train])
    let l1Weight = Setting<Double>("l1_weight", .same("0.237"), help: "Weight of L1 in Combined.", accepts: "0 to 1e6", commands: [.train])
    let silogWeight = Setting<Double>("silog_weight", .same("0.637"), help: "Weight of SIlog in Combined.", accepts: "0 to 1e6", commands: [.train])
    let silogLambda = Setting<Double>("silog_lambda", .same("0.869"), help: "SIlog's lambda.", accepts: "0 to 1", commands: [.train])
    let clipGradNorm = Setting<Double>("clip_grad_norm", .same("1.0"),
        help: "Clip gradients to this total L2 norm before each step.", accepts: "1e-12 to 1e12", commands: [.train])
    let validation = Setting<BoolSetting>("validation", .same("true"), help: "Validate during training.", commands: [.train])
    let validationIter = Setting<Int>("validation_iter", .same("2"),
        help: "Validate every N epochs (and after the last).", accepts: accepted(TrainingConfig.epochCounts), commands: [.train])
    let savingCheckpoints = Setting<Int>("saving_checkpoints", .same("10"),
        help: "Checkpoint every N epochs (and after the last).", accepts: accepted(TrainingConfig.epochCounts), commands: [.train])
    let checkpoints = Setting<Nullable<Int>>("checkpoints", .same("null"),
        help: "Resume from the checkpoint of epoch N (`null`: start afresh).",
        helpByCommand: [.eval: "Evaluate the run's checkpoint of epoch N (`null`: its latest)."], commands: [.train, .eval])
    let saveBestModel = Setting<BoolSetting>("save_best_model", .same("false"),
        help: "Keep the best epoch (by --best_metric) as best_model.safetensors.", commands: [.train], isSwitch: true)
    let bestMetric = Setting<BestMetric>("best_metric", .same("rmse"),
        help: "What --save_best_model compares (delta* higher is better).", commands: [.train])
    let shuffle = Setting<BoolSetting>("shuffle", .same("true"), help: "Shuffle the training samples every epoch.", commands: [.train])
    let seed = Setting<UInt64>("seed", .same("0"),
        help: "Seed of the initial weights and of every epoch's order; a seed other than 0 ends the run name (_seed<N>).", commands: [.train, .eval])
    let printTensorboard = Setting<Int>("print_tensorboard", .same("1"),
        help: "Show the last training batch's prediction sheet in TensorBoard every N epochs (the baseline's key; 0: never).",
        accepts: accepted(TrainingConfig.displayIntervals), commands: [.train])
    let validationDisplay = Setting<Int>("validation_display", .same("1"),
        help: "Show the validation prediction sheet in TensorBoard every N epochs, among the validated ones (the baseline's key; 0: never).",
        accepts: accepted(TrainingConfig.displayIntervals), commands: [.train])
    let numThreads = Setting<Int>("num_threads", .same("2"),
        help: "Batches the data loader reads ahead on its own thread (the baseline's DataLoader workers; 0: read in the training thread).",
        accepts: accepted(TrainingConfig.loaderDepths), commands: [.train])
    let predictionSamples = Setting<Int>("prediction_samples", .same("4"),
        help: "Validation samples drawn in results/<run>/epoch_NNNN_prediction.png.", accepts: accepted(TrainingConfig.predictionSampleCounts),
        commands: [.train])

    // MARK: Weights & Biases
    let useWandb = Setting<BoolSetting>("use_wandb", .same("false"), help: "Log the run to Weights & Biases.", commands: [.train], isSwitch: true)
    let wandbProject = Setting<String>("wandb_project", .same("batvision"), help: "W&B project.", commands: [.train])
    let wandbEntity = Setting<Nullable<String>>("wandb_entity", .same("null"), help: "W&B entity (`null`: your default).", commands: [.train])
    let wandbMode = Setting<WandbMode>("wandb_mode", .same("online"),
        help: "W&B mode (WANDB_MODE, when set, comes before the conf files).", commands: [.train])

    // MARK: compute
    let threads = Setting<Nullable<Int>>("threads", .same("null"),
        help: "Threads to compute on (`null`: every core).", accepts: "1 to 4 per core, or null", commands: [.stats, .featurize, .train, .eval])
    let gemm = Setting<GemmEngine>("gemm", .same("auto"),
        help: "The library of the convolutions' matrix products.",
        discussion: "auto: oneDNN on CPUs with AVX-512, OpenBLAS otherwise (docs/benchmarks.md). portable: our own products, the same bits on every host (what --deterministic pins).", commands: [.train, .eval])
    let deterministic = Setting<BoolSetting>("deterministic", .same("false"),
        help: "Pin the portable product path (--gemm portable): the same results, bit for bit, on AVX2 and AVX-512 hosts, at a cost in speed (docs/benchmarks.md).",
        commands: [.train, .eval], isSwitch: true)

    // MARK: evaluation (conf/mode/test.yaml)
    let evalOn = Setting<EvalSplit>("eval_on", .same("test"),
        help: "The split to evaluate (both: val and test, each also on its own).", commands: [.eval])
    let statDir = Setting<String>("stat_dir", .same("stats"), help: "Where reports go: <stat_dir>/<run>/.", commands: [.eval])
    let depthBin = Setting<Double>("depth_bin", .same("2.0"),
        help: "Metres per bin of the depth-binned breakdown.", accepts: "0.05 to 100", commands: [.eval])
    let minDepth = Setting<Double>("min_depth", .same("0.0"),
        help: "Leave out pixels whose ground truth is below this many metres (0: the reference's gt > 0; 0.5 as in V2 follow-up work).",
        accepts: "0 to 1000", commands: [.eval])
    let maxEvalDepth = Setting<Nullable<Double>>("max_eval_depth", .same("null"),
        help: "Leave out pixels whose ground truth is above this many metres (`null`: none).", commands: [.eval])
    let rawDepth = Setting<BoolSetting>("raw_depth", .same("false"),
        help: "Evaluate against the dataset's raw depth maps at their native resolution (the prediction upsampled), not the resized targets.",
        commands: [.eval], isSwitch: true)
    let evalDepthResize = Setting<Nullable<DepthResize>>("eval_depth_resize", .same("null"),
        help: "Evaluate against depth targets resized this way (the checkpoint's features with this depth_resize; featurize them first; `null`: the checkpoint's own).",
        commands: [.eval])

    static let shared = SettingTable()

    /// Every setting, in the order declared above.
    static let all: [SettingSpec] = Mirror(reflecting: shared).children.compactMap { ($0.value as? AnySetting)?.spec }

    /// The keys a conf file may hold.
    static let confKeys = Set(all.map(\.key))

    /// What a setting is when no conf file or flag says otherwise (SPEC's defaults).
    static func builtIn(_ dataset: DatasetKind) -> [String: String] {
        Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0.builtIn(dataset)) })
    }
}

/// An integer range as `--help` and errors state it.
private func accepted(_ r: ClosedRange<Int>) -> String { "\(r.lowerBound) to \(r.upperBound)" }

/// The commands that resolve settings from flags and conf files.
enum SettingCommand: String, CaseIterable, Codable, Sendable {
    case ingest, stats, featurize, train, eval

    /// The conf files it reads after conf/dataset/<dataset>.yaml, in order (later wins).
    var confFiles: [String] {
        switch self {
        case .ingest, .stats, .featurize: return []
        case .train: return ["mode/train.yaml", "model/unet_baseline.yaml"]
        case .eval: return ["mode/train.yaml", "model/unet_baseline.yaml", "mode/test.yaml"]
        }
    }

}

extension Array where Element == SettingCommand {
    static var all: [SettingCommand] { SettingCommand.allCases }
    /// The commands that build features: featurize, and train and eval, which find caches by
    /// them; stats measures the depth targets they would make.
    static var features: [SettingCommand] { [.stats, .featurize, .train, .eval] }
}

/// What kind of value a setting holds (for `--help`, `batvision settings` and Python).
enum SettingKind: String, Codable, Sendable {
    case int, float, bool, text, choice, list
}

/// A setting's built-in default: one value, or one per dataset.
enum BuiltInDefault: Sendable {
    case same(String)
    case perDataset(String, String)

    func value(_ dataset: DatasetKind) -> String {
        switch self {
        case let .same(v): return v
        case let .perDataset(v1, v2): return dataset == .batvisionv1 ? v1 : v2
        }
    }
}

/// One row of the table, untyped: what everything derived from the table reads.
struct SettingSpec: Sendable {
    let key: String
    let kind: SettingKind
    let choices: [String]
    let nullable: Bool
    let builtInDefault: BuiltInDefault
    let help: String
    let helpByCommand: [SettingCommand: String]
    let discussion: String?
    /// The values accepted, as the domain type's rule states them (nil: any of the type).
    let accepts: String?
    let commands: [SettingCommand]
    /// `FeatureConfig`'s JSON name, for the settings that make up the feature config.
    let feature: String?
    /// A flag `--key` / `--no_key` rather than `--key VALUE`.
    let isSwitch: Bool
    /// Always given as a flag (`--dataset`): no default applies.
    let isRequired: Bool

    func builtIn(_ dataset: DatasetKind) -> String { builtInDefault.value(dataset) }

    func help(for command: SettingCommand?) -> String { command.flatMap { helpByCommand[$0] } ?? help }
}

protocol AnySetting {
    var spec: SettingSpec { get }
}

/// A row of the table with its value's type, so that resolving it is typed.
struct Setting<Value: SettingValue>: AnySetting, Sendable {
    let spec: SettingSpec

    init(_ key: String, _ builtIn: BuiltInDefault, help: String, discussion: String? = nil,
         helpByCommand: [SettingCommand: String] = [:], accepts: String? = nil, commands: [SettingCommand],
         feature: String? = nil, isSwitch: Bool = false, isRequired: Bool = false) {
        spec = SettingSpec(key: key, kind: Value.kind, choices: Value.choices, nullable: Value.isNullable, builtInDefault: builtIn,
                           help: help, helpByCommand: helpByCommand, discussion: discussion, accepts: accepts,
                           commands: commands, feature: feature, isSwitch: isSwitch, isRequired: isRequired)
    }
}
