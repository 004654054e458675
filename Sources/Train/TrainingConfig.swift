import Cache
import Foundation
import Ingest

/// Everything `train` needs, resolved from the conf files and flags (SPEC section 4).
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var dataset: String
    public var experimentName: String
    public var learningRate: Double
    public var batchSize: Int
    public var epochs: Int
    public var optimizer: OptimizerKind
    public var loss: DepthLoss
    public var validation: Bool
    public var validationIter: Int
    public var savingCheckpoints: Int
    /// `--checkpoints N`: resume from the end of epoch N.
    public var resumeEpoch: Int?
    public var saveBestModel: Bool
    public var bestMetric: String
    public var shuffle: Bool
    public var seed: UInt64
    public var model: UNetConfig
    public var predictionSamples: Int
    public var clipGradNorm: Double
    public var outputDir: String

    public init(settings s: Settings) throws {
        func fail(_ key: String, _ expected: String) -> TrainError {
            .config("\(key) = '\(s[key] ?? "")' (from \(s.origins[key] ?? "?")): expected \(expected)")
        }
        let feature = try s.featureConfig()
        dataset = feature.dataset.rawValue
        experimentName = try s.string("experiment_name")
        learningRate = try s.double("learning_rate")
        batchSize = try s.int("batch_size")
        epochs = try s.int("epochs")
        guard let opt = OptimizerKind(rawValue: try s.string("optimizer")) else { throw fail("optimizer", "Adam, AdamW or SGD") }
        optimizer = opt
        guard let crit = Criterion(rawValue: try s.string("criterion")) else { throw fail("criterion", "L1, SIlog or Combined") }
        loss = DepthLoss(criterion: crit, l1Weight: try s.double("l1_weight"), silogWeight: try s.double("silog_weight"),
                         silogLambda: try s.double("silog_lambda"), depthNorm: feature.depthNorm,
                         maxDepth: feature.maxDepth ?? 1)
        validation = try s.bool("validation")
        validationIter = try s.int("validation_iter")
        savingCheckpoints = try s.int("saving_checkpoints")
        resumeEpoch = try s.optionalInt("checkpoints")
        saveBestModel = try s.bool("save_best_model")
        bestMetric = try s.string("best_metric")
        shuffle = try s.bool("shuffle")
        guard let seedValue = UInt64(try s.string("seed")) else { throw fail("seed", "a whole number >= 0") }
        seed = seedValue
        let generator = try s.string("generator")
        var downs = try s.optionalInt("num_downs")
        if downs == nil {
            guard let n = UNetConfig.levels(forGenerator: generator) else { throw fail("generator", "unet_256 or unet_128 (or set num_downs)") }
            downs = n
        }
        model = UNetConfig(numDowns: downs ?? 8, ngf: try s.int("ngf"), depthNorm: feature.depthNorm)
        predictionSamples = try s.int("prediction_samples")
        clipGradNorm = try s.double("clip_grad_norm")
        outputDir = s["output_dir"] ?? "."
        try model.validate()
        guard learningRate > 0, learningRate.isFinite else { throw fail("learning_rate", "a positive number") }
        guard batchSize >= 1 else { throw fail("batch_size", "at least 1") }
        guard epochs >= 1 else { throw fail("epochs", "at least 1") }
        guard validationIter >= 1 else { throw fail("validation_iter", "at least 1") }
        guard savingCheckpoints >= 1 else { throw fail("saving_checkpoints", "at least 1") }
        guard DepthMetrics.names.contains(bestMetric) || bestMetric == "loss" else {
            throw fail("best_metric", (DepthMetrics.names + ["loss"]).joined(separator: ", "))
        }
        if let r = resumeEpoch, r < 1 || r >= epochs {
            throw fail("checkpoints", "an epoch between 1 and \(epochs - 1) to resume from")
        }
    }

    /// `unet_baseline_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment_name>`, lr as
    /// Python prints a float (Swift's shortest round-trip form is the same: 0.001, 1e-05).
    public var runName: String {
        "unet_baseline_\(dataset)_BS\(batchSize)_Lr\(pythonFloat(learningRate))_\(optimizer.rawValue)_\(experimentName)"
    }
}

/// A double as Python's `repr` prints it: shortest round-trip digits, `1e-05` style
/// exponents below 1e-4 and from 1e16, `.0` on whole numbers, `inf`/`nan`. Swift's
/// `description` follows the same rules (tested against Python's output).
public func pythonFloat(_ x: Double) -> String { x.description }

extension TrainingConfig {
    /// SPEC section 4's defaults, used under the conf files (`conf/mode/train.yaml`,
    /// `conf/model/unet_baseline.yaml`) when a key is in neither.
    public static let defaults: [String: String] = [
        "experiment_name": "default", "epochs": "80", "optimizer": "AdamW", "criterion": "Combined",
        "l1_weight": "0.237", "silog_weight": "0.637", "silog_lambda": "0.869", "validation": "true",
        "validation_iter": "2", "saving_checkpoints": "10", "checkpoints": "null", "save_best_model": "false",
        "best_metric": "rmse", "shuffle": "true", "seed": "0", "generator": "unet_256", "num_downs": "null",
        "ngf": "64", "prediction_samples": "4", "clip_grad_norm": "1.0", "output_dir": ".",
        "use_wandb": "false", "wandb_project": "batvision", "wandb_entity": "null", "wandb_mode": "disabled",
    ]
}
