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

    public func validate() throws {
        guard !splits.isEmpty, !splits.contains(.train) else { throw EvalError.config("eval_on: expected test, val or both") }
        let p = evaluationProtocol
        guard p.minDepth >= 0, p.minDepth.isFinite else { throw EvalError.config("min_depth \(p.minDepth): expected 0 or more metres") }
        if let m = p.maxEvalDepth, !(m > p.minDepth && m.isFinite) {
            throw EvalError.config("max_eval_depth \(m): expected more metres than min_depth \(p.minDepth)")
        }
        if p.rawDepth && manifest == nil { throw EvalError.config("--raw_depth needs --manifest (the raw maps are read through it)") }
        guard depthBin.isFinite, depthBin > 0 else { throw EvalError.config("depth_bin \(depthBin): expected a positive number of metres") }
        guard batchSize >= 1 else { throw EvalError.config("batch size \(batchSize): expected at least 1") }
    }
}
