import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// Which checkpoint `eval` reads.
public enum CheckpointChoice: Equatable, Sendable {
    /// The run's latest `checkpoint_<N>`.
    case latest
    /// The run's `checkpoint_<N>` of this epoch.
    case epoch(Int)
    /// The run's `best_model`.
    case best
    /// Any checkpoint file (one converted from PyTorch, another run's).
    case file(URL)
}

/// Everything `eval` needs, typed: the run (its name and folder), the checkpoint, the
/// split, where reports go and the features to assume for a checkpoint without metadata.
public struct EvaluationConfig: Equatable, Sendable {
    public var runName: String
    public var outputDir: URL
    public var checkpoint: CheckpointChoice = .latest
    /// The splits evaluated (test, val or both), each also reported on its own.
    public var splits: [Split] = [.test]
    public var evaluationProtocol = EvaluationProtocol.reference
    /// The dataset root for `--raw_depth` (default: the manifest's).
    public var datasetDir: URL?
    /// Evaluate against depth targets resized this way (a cache of the checkpoint's own
    /// features but this `depth_resize`), e.g. a reference-trained model on valid_area targets.
    public var targetDepthResize: DepthResize?
    public var statDir: URL
    /// Metres per bin of the depth-binned breakdown.
    public var depthBin = 2.0
    public var cacheDir: URL
    /// The manifest the features were built from: needed for a checkpoint without
    /// metadata (its cache key), and named in hints.
    public var manifest: URL?
    /// Whether the data was chosen for this eval (`--manifest`, `--dataset_dir`): then it is
    /// evaluated, featurized with the checkpoint's feature settings, rather than the data
    /// the checkpoint was trained on.
    public var dataGiven = false
    /// Write every sample's maps and metrics to `<tag>_<split>_predictions.h5`.
    public var savePredictions = false
    /// A progress line on stderr.
    public var showProgress = false
    /// The feature settings of a converted checkpoint (ours record their own).
    public var features: FeatureConfig
    public var batchSize = 16
    public var threads: Parallelism = .allCores
    /// The library of the convolutions' matrix products (`--gemm`).
    public var gemm: GemmEngine = .auto

    public init(runName: String, outputDir: URL, statDir: URL, cacheDir: URL, manifest: URL?, features: FeatureConfig) {
        self.runName = runName
        self.outputDir = outputDir
        self.statDir = statDir
        self.cacheDir = cacheDir
        self.manifest = manifest
        self.features = features
    }

    /// Metres of ground truth `min_depth` may leave out; metres per depth bin.
    public static let minDepths = 0.0...1000.0
    public static let depthBins = 0.05...100.0

    /// Every rule on the evaluation settings, once.
    public func validate() throws {
        guard !splits.isEmpty, !splits.contains(.train) else { throw SettingViolation("eval_on", splits.map(\.rawValue), expected: "test, val or both") }
        let p = evaluationProtocol
        guard Self.minDepths.contains(p.minDepth) else {
            throw SettingViolation("min_depth", pythonFloat(p.minDepth), expected: "a value from \(pythonFloat(Self.minDepths.lowerBound)) to \(pythonFloat(Self.minDepths.upperBound))")
        }
        if let m = p.maxEvalDepth, !(m > p.minDepth && m.isFinite) {
            throw SettingViolation(combining: ["max_eval_depth", "min_depth"], "max_eval_depth \(pythonFloat(m)): expected more metres than min_depth \(pythonFloat(p.minDepth))")
        }
        if p.rawDepth && manifest == nil {
            throw SettingViolation(combining: ["raw_depth", "manifest"], "--raw_depth needs --manifest (the raw maps are read through it)")
        }
        guard Self.depthBins.contains(depthBin) else {
            throw SettingViolation("depth_bin", pythonFloat(depthBin), expected: "a value from \(pythonFloat(Self.depthBins.lowerBound)) to \(pythonFloat(Self.depthBins.upperBound))")
        }
        try TrainingConfig.check("batch_size", batchSize, TrainingConfig.batchSizes)
        if case let .epoch(n) = checkpoint, n < 1 { throw SettingViolation("checkpoints", n, expected: "an epoch of 1 or more") }
    }
}
