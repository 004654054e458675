import Cache
import Foundation
import Ingest
import Model
import Support

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
    /// Every N epochs the last training batch's predictions go to TensorBoard as a picture
    /// (`print_tensorboard`, the baseline's key; 0: never).
    public var printTensorboard = 1
    /// Every N epochs, among the validated ones, the validation prediction sheet goes to
    /// TensorBoard (`validation_display`, the baseline's key; 0: never).
    public var validationDisplay = 1
    /// Batches read ahead on the loader's own thread (`num_threads`, the baseline's
    /// DataLoader workers; 0: read in the training thread).
    public var numThreads = 2
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

    /// The ranges of the run's numbers: every rule on the training settings, once.
    public static let learningRates = 0.0...10.0
    public static let batchSizes = 1...(1 << 16)
    public static let epochCounts = 1...EpochRecord.maxEpoch
    public static let predictionSampleCounts = 0...64
    public static let clipNorms = 1e-12...1e12
    public static let displayIntervals = 0...EpochRecord.maxEpoch
    public static let loaderDepths = 0...64

    /// Refuses settings a run cannot use, naming the setting and what it accepts.
    public func validate() throws {
        try model.validate()
        try loss.validate()
        try RunName(modelName: modelName, dataset: feature.dataset, batchSize: batchSize, learningRate: learningRate,
                    optimizer: optimizer, experimentName: experimentName, seed: seed).validate()
        guard learningRate > 0, Self.learningRates.contains(learningRate) else {
            throw SettingViolation("learning_rate", pythonFloat(learningRate), expected: "a positive number up to \(pythonFloat(Self.learningRates.upperBound))")
        }
        try Self.check("batch_size", batchSize, Self.batchSizes)
        try Self.check("epochs", epochs, Self.epochCounts)
        try Self.check("validation_iter", validationIter, Self.epochCounts)
        try Self.check("saving_checkpoints", savingCheckpoints, Self.epochCounts)
        try Self.check("prediction_samples", predictionSamples, Self.predictionSampleCounts)
        try Self.check("print_tensorboard", printTensorboard, Self.displayIntervals)
        try Self.check("validation_display", validationDisplay, Self.displayIntervals)
        try Self.check("num_threads", numThreads, Self.loaderDepths)
        guard Self.clipNorms.contains(clipGradNorm) else {
            throw SettingViolation("clip_grad_norm", pythonFloat(clipGradNorm), expected: "a value from 1e-12 to 1000000000000.0")
        }
        guard model.depthNorm == feature.depthNorm, loss.depthNorm == feature.depthNorm else {
            throw SettingViolation("depth_norm", feature.depthNorm, expected: "the same for the features, the loss and the model head")
        }
        if let r = resumeEpoch, r < 1 || r >= epochs {
            throw SettingViolation("checkpoints", r, expected: epochs > 1 ? "an epoch from 1 to \(epochs - 1) to resume from" : "null: a 1-epoch run cannot resume")
        }
        try model.checkInput(height: feature.imagesSize, width: feature.imagesSize)
    }

    /// `value` of `key` within `range`.
    public static func check(_ key: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else { throw SettingViolation(key, value, expected: "a value from \(range.lowerBound) to \(range.upperBound)") }
    }

    /// `<model name>_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment_name>` (SPEC:
    /// `unet_baseline_...`), lr as Python prints a float.
    public var runName: String {
        RunName(modelName: modelName, dataset: feature.dataset, batchSize: batchSize, learningRate: learningRate,
                optimizer: optimizer, experimentName: experimentName, seed: seed).description
    }
}
