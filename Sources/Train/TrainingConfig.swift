import Cache
import Foundation
import Ingest
import Model
import Support

/// The figure `--save_best_model` keeps the best epoch by: a validation metric or the loss.
public enum BestMetric: String, CaseIterable, Codable, Sendable {
    case absRel = "abs_rel", rmse, delta1, delta2, delta3, log10, mae, loss

    /// delta1-3 grow as the model improves; errors and the loss shrink.
    public var higherIsBetter: Bool { DepthMetrics.higherIsBetter(rawValue) }

    /// Whether `figure` beats `other` (equal is not better: the first of equals stays).
    public func isBetter(_ figure: Double, than other: Double) -> Bool {
        higherIsBetter ? figure > other : figure < other
    }

    /// The figure of `record` this metric compares: its validation loss or a validation metric.
    public func figure(of record: EpochRecord) -> Double? {
        self == .loss ? record.valLoss : record.metrics?[rawValue]
    }
}

public enum WandbMode: String, CaseIterable, Codable, Sendable {
    case online, offline, disabled

    /// A mode as the W&B client reads WANDB_MODE, older names included (dryrun, run).
    public init?(clientText text: String) {
        guard let mode = WandbMode(rawValue: text) ?? ["dryrun": .offline, "run": .online][text] else { return nil }
        self = mode
    }
}

/// The W&B settings the baseline's commands carry.
public struct WandbConfig: Equatable, Sendable {
    public var enabled: Bool
    public var project: String
    public var entity: String?
    public var mode: WandbMode

    public init(enabled: Bool = false, project: String = "batvision", entity: String? = nil, mode: WandbMode = .disabled) {
        self.enabled = enabled
        self.project = project
        self.entity = entity
        self.mode = mode
    }
}

/// One resolved setting as the run log records it: its value as text and where it came
/// from (a conf file, a flag, a built-in default).
public struct ResolvedSetting: Equatable, Sendable {
    public var key: String
    public var value: String
    public var origin: String

    public init(key: String, value: String, origin: String) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}

/// Everything `train` needs (SPEC section 4), typed. The command line builds it from the
/// conf files and flags; nothing here parses text.
public struct TrainingConfig: Equatable, Sendable {
    public var feature: FeatureConfig
    /// The manifest the cache was built from, and where caches live.
    public var manifest: URL
    public var cacheDir: URL
    /// The model conf's `name`: the first part of the run name.
    public var modelName: String = "unet_baseline"
    public var experimentName: String = "default"
    public var learningRate: Double
    public var batchSize: Int
    public var epochs: Int = 80
    public var optimizer: OptimizerKind = .AdamW
    public var loss: DepthLoss
    public var validation = true
    public var validationIter = 2
    public var savingCheckpoints = 10
    /// `--checkpoints N`: resume from the end of epoch N.
    public var resumeEpoch: Int?
    public var saveBestModel = false
    public var bestMetric: BestMetric = .rmse
    public var shuffle = true
    public var seed: UInt64 = 0
    public var model: UNetConfig
    public var predictionSamples = 4
    public var clipGradNorm = 1.0
    public var outputDir: URL
    public var wandb = WandbConfig()
    public var threads: Parallelism = .allCores
    /// The library of the convolutions' matrix products (`--gemm`).
    public var gemm: GemmEngine = .auto

    /// SPEC's defaults around the given feature config, manifest and folders.
    public init(feature: FeatureConfig, manifest: URL, cacheDir: URL, outputDir: URL,
                learningRate: Double, batchSize: Int, model: UNetConfig? = nil) {
        self.feature = feature
        self.manifest = manifest
        self.cacheDir = cacheDir
        self.outputDir = outputDir
        self.learningRate = learningRate
        self.batchSize = batchSize
        loss = DepthLoss(criterion: .Combined, depthNorm: feature.depthNorm, maxDepth: feature.maxDepth ?? 1)
        self.model = model ?? UNetConfig(numDowns: 8, ngf: 64, depthNorm: feature.depthNorm)
    }

    /// Refuses settings a run cannot use, naming the setting and what it accepts.
    public func validate() throws {
        try model.validate()
        func fail(_ key: String, _ value: Any, _ expected: String) -> TrainError {
            .config("\(key) \(value): expected \(expected)")
        }
        guard learningRate > 0, learningRate.isFinite else { throw fail("learning_rate", learningRate, "a positive number") }
        guard batchSize >= 1 else { throw fail("batch_size", batchSize, "at least 1") }
        guard epochs >= 1 else { throw fail("epochs", epochs, "at least 1") }
        guard validationIter >= 1 else { throw fail("validation_iter", validationIter, "at least 1") }
        guard savingCheckpoints >= 1 else { throw fail("saving_checkpoints", savingCheckpoints, "at least 1") }
        guard predictionSamples >= 0 else { throw fail("prediction_samples", predictionSamples, "0 or more") }
        guard clipGradNorm > 0, clipGradNorm.isFinite else { throw fail("clip_grad_norm", clipGradNorm, "a positive number") }
        guard model.depthNorm == feature.depthNorm, loss.depthNorm == feature.depthNorm else {
            throw fail("depth_norm", feature.depthNorm, "the same for the features, the loss and the model head")
        }
        if let r = resumeEpoch, r < 1 || r >= epochs {
            throw fail("checkpoints", r, "an epoch between 1 and \(epochs - 1) to resume from")
        }
    }

    /// `<model name>_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment_name>` (SPEC:
    /// `unet_baseline_...`), lr as Python prints a float.
    public var runName: String {
        RunName(modelName: modelName, dataset: feature.dataset, batchSize: batchSize, learningRate: learningRate,
                optimizer: optimizer, experimentName: experimentName).description
    }
}

/// What names a run (SPEC section 4): `<model>_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment>`.
/// `eval` forms it from the same settings to find the run's checkpoints.
public struct RunName: CustomStringConvertible, Equatable, Sendable {
    public var modelName: String
    public var dataset: DatasetKind
    public var batchSize: Int
    public var learningRate: Double
    public var optimizer: OptimizerKind
    public var experimentName: String

    public init(modelName: String, dataset: DatasetKind, batchSize: Int, learningRate: Double,
                optimizer: OptimizerKind, experimentName: String) {
        self.modelName = modelName
        self.dataset = dataset
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.experimentName = experimentName
    }

    public var description: String {
        "\(modelName)_\(dataset.rawValue)_BS\(batchSize)_Lr\(pythonFloat(learningRate))_\(optimizer.rawValue)_\(experimentName)"
    }
}

/// A double as Python's `repr` prints it: shortest round-trip digits, `1e-05` style
/// exponents below 1e-4 and from 1e16, `.0` on whole numbers, `inf`/`nan`. Swift's
/// `description` follows the same rules (tested against Python's output).
public func pythonFloat(_ x: Double) -> String { x.description }
