import Cache
import Foundation
import Ingest
import Model
import Support
import Train

/// `eval` end to end: resolves the checkpoint (the run's `checkpoint_<N>`, `best_model`,
/// its latest, or a given file), rebuilds its model, opens the cache of its own feature
/// settings, evaluates the split and writes the reports to `<stat_dir>/<run>/`.
public struct EvaluationRun {
    public var config: EvaluationConfig

    public init(config: EvaluationConfig) {
        self.config = config
    }

    public struct Outcome {
        public var checkpoint: URL
        public var cache: URL
        /// The digest of the manifest whose data was evaluated.
        public var manifestDigest: String
        public var report: EvaluationReport
        public var files: [URL]
        /// Assumptions the user should know about (printed by the command).
        public var notes: [String]
    }

    public func run() throws -> Outcome {
        try config.validate()
        let directories = RunDirectories(outputDir: config.outputDir, runName: config.runName)
        let url = try CheckpointLocator.resolve(config.checkpoint, directories: directories)
        let (tensors, info) = try Checkpoint.read(url)
        let (modelConfig, checkpointFeatures, digest) = try CheckpointLocator.configuration(of: info, tensors: tensors,
                                                                                       features: config.features, source: url.path)
        var featureConfig = checkpointFeatures
        if let resize = config.targetDepthResize { featureConfig.depthResize = resize }
        var notes: [String] = []
        let cache: FeatureCache
        if let digest, !config.dataGiven {
            // The data the checkpoint was trained on.
            cache = try CacheResolver.open(featureConfig, manifestDigest: digest, cacheDir: config.cacheDir, manifest: config.manifest)
        } else {
            // The data asked for (or, for a checkpoint without metadata, the only data named),
            // featurized with the checkpoint's own settings.
            guard let manifest = config.manifest else {
                throw EvalError.config("\(url.path) records no manifest: pass --manifest (the one its features were built from)")
            }
            cache = try CacheResolver.open(featureConfig, manifest: manifest, cacheDir: config.cacheDir)
            if let digest, digest != cache.manifestDigest {
                notes.append("evaluating on \(manifest.path) (digest \(cache.manifestDigest.prefix(16))), as asked; the checkpoint was trained on the manifest of digest \(digest.prefix(16))")
            }
        }
        try modelConfig.checkFits(batch: max(1, min(config.batchSize, 64)), size: featureConfig.imagesSize, training: false)
        let model = try UNet(modelConfig, par: config.threads, gemm: config.gemm)
        try model.load(stateDict: tensors, source: url.path)

        var evaluator = Evaluator(model: model, cache: cache, splits: config.splits)
        evaluator.batchSize = max(1, min(config.batchSize, 64))
        evaluator.binWidth = config.depthBin
        evaluator.evaluationProtocol = config.evaluationProtocol
        if config.evaluationProtocol.rawDepth, let manifestURL = config.manifest {
            let manifest = try Manifest.load(from: manifestURL)
            guard manifest.digest == cache.manifestDigest else {
                throw EvalError.config("--raw_depth: \(manifestURL.path) is not the manifest the cache was built from")
            }
            evaluator.raw = RawDepthSource(manifest: manifest, root: try DatasetRoot(config.datasetDir ?? URL(fileURLWithPath: manifest.datasetDir)))
            notes.append("raw depth: ground truth at each map's native resolution; the picture sheet still shows the cached targets")
        }
        if featureConfig.maxDepth == nil {
            notes.append("max_depth is not set in these features: depth bins and the sheet's colour scale end at \(Int(Evaluator.defaultBinLimit)) m")
        }
        let tag: String
        if url.lastPathComponent == RunDirectories.bestName {
            tag = "best"
        } else if let info {
            tag = String(format: "epoch_%04d", info.epoch)
        } else {
            tag = url.deletingPathExtension().lastPathComponent
        }
        let outDir = config.statDir.appendingPathComponent(Self.folderName(info?.runName ?? url.deletingPathExtension().lastPathComponent))
        let prefix = "\(tag)_\(config.splits.map(\.rawValue).joined(separator: "+"))"
        let count = config.splits.reduce(0) { $0 + cache.count($1) }
        evaluator.progress = ProgressReporter(label: "eval", total: count + cache.count(.train), enabled: config.showProgress)
        if config.savePredictions {
            let width = try config.splits.flatMap { try cache.sampleIds($0) }.map(\.utf8.count).max() ?? 1
            evaluator.archive = try PredictionArchive(url: outDir.appendingPathComponent("\(prefix)_predictions.h5"), count: count,
                                                      side: featureConfig.imagesSize, idWidth: width, checkpoint: url.path,
                                                      epoch: info?.epoch, evaluationProtocol: config.evaluationProtocol, features: featureConfig)
        }
        let (samples, summary) = try evaluator.run(checkpointName: url.path, epoch: info?.epoch)
        evaluator.progress?.finish()
        try evaluator.archive?.finish()
        guard !samples.isEmpty else { throw EvalError.emptySplit(cache: cache.path.path, split: summary.split) }
        let report = EvaluationReport(samples: samples, summary: summary)
        let panels = try evaluator.panels(report.bestMedianWorst().map(\.sample))
        let title = "\(summary.split) predictions, \(info.map { "epoch \($0.epoch)" } ?? url.lastPathComponent): best, median, worst by rmse"
        var files = try report.write(to: outDir, prefix: prefix, panels: panels, maxDepth: featureConfig.maxDepth, title: title)
        if let archive = evaluator.archive { files.append(archive.url) }
        return Outcome(checkpoint: url, cache: cache.path, manifestDigest: cache.manifestDigest, report: report, files: files, notes: notes)
    }

    /// A run name as one folder under stat_dir: a name from a checkpoint's metadata is
    /// data, so separators and dot-only names cannot lead the reports out of stat_dir.
    static func folderName(_ runName: String) -> String {
        let cleaned = String(runName.map { $0 == "/" || $0 == "\\" || $0 == "\0" ? "_" : $0 })
        return cleaned.isEmpty || cleaned.allSatisfy({ $0 == "." }) ? "run" : cleaned
    }
}
