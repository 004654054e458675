import Cache
import Foundation
import Ingest
import Model
import Support

/// The training loop: streams shuffled batches from the cache, steps the U-Net, validates
/// every `validation_iter` epochs, logs, draws predictions, checkpoints, keeps the best,
/// and resumes exactly from a checkpoint (weights, BatchNorm statistics, optimiser moments;
/// the batch order is a function of (seed, epoch)).
public final class Trainer {
    public let config: TrainingConfig
    /// The resolved settings as the run log and checkpoints record them.
    public let settings: [ResolvedSetting]
    public let cache: FeatureCache
    public let directories: RunDirectories
    public let model: UNet
    public let optimizer: Optimizer
    public let input: ModelInput
    /// Refuse to start over a run that already has checkpoints unless set.
    public var overwrite = false
    public var log: (String) -> Void = { print($0) }
    /// Draws ground truth | prediction | error for a few validation samples (Eval's
    /// picture code; the loop only collects the panels).
    public var writePredictionSheet: ((_ url: URL, _ panels: [DepthPanel], _ maxDepth: Double) throws -> Void)?
    /// Called after each training batch (the CLI's progress line on a terminal).
    public var progress: ((TrainingProgress) -> Void)?
    /// Called after each finished epoch with its record and the prediction picture it drew,
    /// if any (the W&B logger).
    public var epochFinished: ((_ record: EpochRecord, _ picture: URL?) -> Void)?

    private var scale: Float { cache.config.metresPerUnit }
    /// Model input and loss-gradient buffers, reused every step.
    private let x = FloatBuffer(count: 0), gradPred = FloatBuffer(count: 0)
    /// Held while the run writes: a second `train` of the same run name is refused.
    private var runLock: FileLock?
    /// The training split's sample ids, to name samples in errors.
    private lazy var trainIds: [String] = (try? cache.sampleIds(.train)) ?? []
    /// Wall time of each epoch this process finished, validation included (for the run's ETA).
    private var epochWallTimes: [Double] = []

    public init(config: TrainingConfig, settings: [ResolvedSetting], cache: FeatureCache) throws {
        try config.validate()
        self.config = config
        self.settings = settings
        self.cache = cache
        directories = RunDirectories(outputDir: config.outputDir, runName: config.runName)
        guard cache.config == config.feature else {
            throw TrainError.config("\(cache.path.path) holds features of other settings than the run's")
        }
        let depthShape = cache.depthShape
        guard depthShape.count == 3, depthShape[0] == 1, depthShape[1] == depthShape[2] else {
            throw ModelError.shape(name: "cached depth", expected: [1, -1, -1], found: depthShape)
        }
        input = try ModelInput(audioShape: cache.audioShape, depthSize: depthShape[1])
        try config.model.checkInput(height: input.size, width: input.size)
        try config.model.checkFits(batch: min(config.batchSize, cache.count(.train)), size: input.size, training: true)
        guard cache.count(.train) > 0 else {
            throw TrainError.config("\(cache.path.path) has no training samples")
        }
        model = try UNet(config.model, par: config.threads, gemm: config.gemm)
        model.initialize(seed: config.seed)
        optimizer = Optimizer(config.optimizer, parameters: model.parameters, learningRate: config.learningRate,
                              par: config.threads)
    }

    /// A checkpoint's metadata; its metrics are the epoch's validation metrics plus `loss`
    /// (the validation loss), so `best_metric loss` survives a resume too.
    func info(_ record: EpochRecord) -> CheckpointInfo {
        var metrics = record.metrics
        if let v = record.valLoss { metrics = (metrics ?? [:]).merging(["loss": v]) { a, _ in a } }
        let values = Dictionary(settings.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        return CheckpointInfo(epoch: record.epoch, runName: config.runName, model: config.model, feature: cache.config,
                              manifestDigest: cache.manifestDigest, settings: values, metrics: metrics,
                              trainLoss: record.trainLoss)
    }

    /// Trains from epoch 1 (or after `resumeEpoch`) to `epochs`; returns every epoch's record.
    @discardableResult
    public func run() throws -> [EpochRecord] {
        defer { runLock?.release(); runLock = nil }
        var records = try prepareRun()
        let firstEpoch = (config.resumeEpoch ?? 0) + 1
        try writeResolvedConfig()
        let board = config.printTensorboard ? try TensorBoardWriter(directory: directories.logs) : nil
        var best: Double? = bestSoFar()
        log("training \(config.runName): \(cache.count(.train)) samples, \(cache.count(.val)) validation; U-Net \(config.model.numDowns) levels, ngf \(config.model.ngf), \(model.parameterCount) parameters; \(config.optimizer.rawValue) lr \(pythonFloat(config.learningRate)), batch \(config.batchSize), \(config.loss.criterion.rawValue)")
        for epoch in firstEpoch...max(firstEpoch, config.epochs) where epoch <= config.epochs {
            let clock = Stopwatch()
            var record = try trainEpoch(epoch)
            var picture: URL?
            if config.validation && cache.count(.val) > 0 && (epoch % config.validationIter == 0 || epoch == config.epochs) {
                let v = try validate(epoch: epoch)
                record.valLoss = v.loss
                record.metrics = v.metrics
                picture = v.picture
            }
            records.append(record)
            try finishEpoch(record, records: records, board: board, best: &best)
            epochWallTimes.append(clock.seconds)
            epochFinished?(record, picture)
        }
        return records
    }

    /// Resumes from `resumeEpoch` (weights, optimiser, the log's earlier records) or checks
    /// that a fresh run overwrites nothing unasked; creates the run's folders.
    func prepareRun() throws -> [EpochRecord] {
        let fm = FileManager.default
        try createDirectory(directories.checkpoints)
        runLock = try FileLock(directories.checkpoints.appendingPathComponent(".run.lock"), purpose: "training this run")
        removeStaleTemporaries(in: directories.checkpoints)
        removeOrphanOptimizerFiles()
        var records: [EpochRecord] = []
        if let resume = config.resumeEpoch {
            let url = directories.checkpoint(epoch: resume)
            let (tensors, info) = try Checkpoint.read(url)
            guard let info, info.model == config.model, info.feature == cache.config else {
                throw TrainError.checkpoint(path: url.path, reason: "was not written by this run's model and feature settings")
            }
            guard info.manifestDigest == cache.manifestDigest else {
                throw TrainError.checkpoint(path: url.path, reason: "was trained on another manifest (digest \(info.manifestDigest.prefix(16)), the cache's \(cache.manifestDigest.prefix(16)))")
            }
            try model.load(stateDict: tensors, source: url.path)
            let optURL = Checkpoint.optimizerURL(url)
            let (optTensors, optMeta) = try SafeTensors.read(optURL)
            try optimizer.load(tensors: optTensors, metadata: optMeta, source: optURL.path)
            records = try readRecords().filter { $0.epoch <= resume }
            log("resuming \(config.runName) after epoch \(resume)")
        } else if !overwrite, let items = try? fm.contentsOfDirectory(atPath: directories.checkpoints.path),
                  items.contains(where: { $0.hasSuffix(".safetensors") }) {
            throw TrainError.config("\(directories.checkpoints.path) already holds checkpoints of this run: resume with --checkpoints N, choose another --experiment_name, or pass --overwrite to start over")
        } else if overwrite {
            try clearPreviousRun()
        }
        for dir in [directories.checkpoints, directories.results, directories.logs] { try createDirectory(dir) }
        return records
    }

    /// An optimiser file whose model file is missing is what a kill between the two writes
    /// of a checkpoint leaves (`Checkpoint.save` writes the optimiser first): remove it.
    func removeOrphanOptimizerFiles() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directories.checkpoints.path)) ?? [] where name.hasSuffix(".optim.safetensors") {
            let model = directories.checkpoints.appendingPathComponent(String(name.dropLast(".optim.safetensors".count)) + ".safetensors")
            if !fm.fileExists(atPath: model.path) { try? fm.removeItem(at: directories.checkpoints.appendingPathComponent(name)) }
        }
    }

    /// Starting over (`--overwrite`): the old run's checkpoints, pictures and logs go, so no
    /// stale checkpoint of a later epoch can be mistaken for this run's (eval picks the latest).
    func clearPreviousRun() throws {
        let fm = FileManager.default
        func remove(in folder: URL, keeping keep: (String) -> Bool) throws {
            for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] where !keep(name) {
                do { try fm.removeItem(at: folder.appendingPathComponent(name)) } catch {
                    throw FileError.write(path: folder.appendingPathComponent(name).path, reason: "--overwrite cannot remove it: \(plainReason(error))")
                }
            }
        }
        try remove(in: directories.checkpoints, keeping: { !$0.hasSuffix(".safetensors") })
        try remove(in: directories.results, keeping: { !$0.hasSuffix(".png") })
        try remove(in: directories.logs, keeping: { !($0 == "metrics.jsonl" || $0 == "config.yaml" || $0.hasPrefix("events.out.tfevents.")) })
    }

    /// One pass over the shuffled training split: forward, loss, backward, clip, step.
    func trainEpoch(_ epoch: Int) throws -> EpochRecord {
        let clock = Stopwatch()
        let stream = BatchStream(cache: cache, splits: [.train], batchSize: config.batchSize, shuffle: config.shuffle,
                                 seed: config.seed, epoch: epoch, dropLast: false)
        var lossSum = 0.0, batches = 0, skipped = 0, seen = 0
        let total = (cache.count(.train) + config.batchSize - 1) / config.batchSize
        let perEpoch = epochWallTimes.isEmpty ? nil : epochWallTimes.reduce(0, +) / Double(epochWallTimes.count)
        while let batch = try stream.nextBatch() {
            defer {
                progress?(TrainingProgress(epoch: epoch, epochs: config.epochs, batch: batches + skipped, batches: total, samples: seen,
                                           seconds: clock.seconds,
                                           meanLoss: batches > 0 ? lossSum / Double(batches) : .nan, secondsPerEpoch: perEpoch))
            }
            guard let value = try step(batch, epoch: epoch, index: batches + skipped + 1) else { skipped += 1; continue }  // no valid depth pixel
            lossSum += Double(value)
            batches += 1
            seen += batch.count
        }
        let seconds = clock.seconds
        return EpochRecord(epoch: epoch, trainLoss: batches > 0 ? lossSum / Double(batches) : .nan, seconds: seconds,
                           samplesPerSecond: Double(seen) / max(seconds, 1e-9), skippedBatches: skipped)
    }

    /// One optimiser step on `batch`; its loss, or nil when the batch has no valid depth.
    func step(_ batch: Batch, epoch: Int, index: Int = 0) throws -> Float? {
        // NaN or infinite inputs would train to a finite-looking loss (the ReLU head hides
        // them): stop and name the samples.
        if batch.audio.contains(where: { !$0.isFinite }) || batch.depth.contains(where: { !$0.isFinite }) {
            let bad = (0..<batch.count).filter { n in
                let a = batch.audio.count / batch.count, d = batch.depth.count / batch.count
                return batch.audio[(n * a)..<((n + 1) * a)].contains { !$0.isFinite } || batch.depth[(n * d)..<((n + 1) * d)].contains { !$0.isFinite }
            }.map { n -> String in
                let i = batch.samples[n].index
                return i < trainIds.count ? trainIds[i] : "train[\(i)]"
            }
            throw TrainError.numerics("epoch \(epoch): the cache holds NaN or infinite values for \(bad.prefix(10).joined(separator: ", "))\(bad.count > 10 ? " and \(bad.count - 10) more" : ""); check them with `batvision validate --cache` and featurize again")
        }
        input.prepare(batch, into: x)
        gradPred.ensure(batch.depth.count)
        let pred = try model.forward(x.pointer, batch: batch.count, height: input.size, width: input.size, training: true)
        let value = batch.depth.withUnsafeBufferPointer { d -> Float? in
            guard let dp = d.baseAddress, let pp = pred.baseAddress else { return nil }
            return config.loss.evaluate(pred: pp, gt: dp, count: batch.depth.count, grad: gradPred.pointer, par: config.threads)
        }
        guard let value else { return nil }
        guard value.isFinite else { throw TrainError.diverged(epoch: epoch, batch: index, loss: Double(value), learningRate: config.learningRate) }
        model.zeroGradients()
        model.backward(gradPred.pointer)
        optimizer.apply(clippingGradientNormTo: config.clipGradNorm)
        return value
    }

    /// After an epoch: the metrics log, TensorBoard, the console, the checkpoint and the best model.
    func finishEpoch(_ record: EpochRecord, records: [EpochRecord], board: TensorBoardWriter?, best: inout Double?) throws {
        try writeRecords(records)
        var scalars: [(tag: String, value: Double)] = [("train/loss", record.trainLoss)]
        if let vl = record.valLoss { scalars.append(("val/loss", vl)) }
        for (k, v) in (record.metrics ?? [:]).sorted(by: { $0.key < $1.key }) { scalars.append(("val/\(k)", v)) }
        try board?.scalars(scalars, step: record.epoch)
        log(describe(record))
        if record.epoch % config.savingCheckpoints == 0 || record.epoch == config.epochs {
            try Checkpoint.save(model: model, optimizer: optimizer, info: info(record), to: directories.checkpoint(epoch: record.epoch))
        }
        guard config.saveBestModel, let figure = config.bestMetric.figure(of: record) else { return }
        let better = best.map { config.bestMetric.isBetter(figure, than: $0) } ?? true
        guard better else { return }
        best = figure
        try Checkpoint.save(model: model, optimizer: nil, info: info(record), to: directories.best)
        log("  best \(config.bestMetric.rawValue) so far: \(String(format: "%.4f", figure)) -> \(directories.best.lastPathComponent)")
    }

    /// The best figure recorded by an earlier part of this run (resume).
    func bestSoFar() -> Double? {
        guard let resume = config.resumeEpoch, let (_, info) = try? Checkpoint.read(directories.best), let info,
              info.epoch <= resume else { return nil }  // a best from after the resume point does not count
        return info.metrics?[config.bestMetric.rawValue]
    }

    /// Eval-mode pass over the validation split: mean batch loss and mean per-sample metrics.
    func validate(epoch: Int) throws -> (loss: Double?, metrics: [String: Double], picture: URL?) {
        var lossSum = 0.0, lossBatches = 0
        var all: [DepthMetrics] = []
        var panels: [DepthPanel] = []
        let ids = try cache.sampleIds(.val)
        let pixels = input.size * input.size
        try predictBatches(model: model, cache: cache, input: input, splits: [.val], batchSize: config.batchSize) { batch, pred in
            batch.depth.withUnsafeBufferPointer { d in
                guard let dp = d.baseAddress, let pp = pred.baseAddress else { return }
                if let value = config.loss.evaluate(pred: pp, gt: dp, count: batch.depth.count, grad: nil, par: config.threads) {
                    lossSum += Double(value)
                    lossBatches += 1
                }
                all += sampleMetrics(gt: dp, pred: pp, samples: batch.count, pixels: pixels, predStride: pixels, scale: scale)
            }
            for n in 0..<batch.count where panels.count < config.predictionSamples {
                let index = batch.samples[n].index
                panels.append(DepthPanel(id: index < ids.count ? ids[index] : "val/\(index)", split: .val,
                                         gt: batch.depth[(n * pixels)..<((n + 1) * pixels)].map { $0 * scale },
                                         pred: pred[(n * pixels)..<((n + 1) * pixels)].map { $0 * scale }, size: input.size))
            }
        }
        var picture: URL?
        if let writer = writePredictionSheet, !panels.isEmpty {
            let url = directories.prediction(epoch: epoch)
            try writer(url, panels, cache.config.maxDepth ?? Double(panels.flatMap(\.gt).max() ?? 1))
            picture = url
        }
        return (lossBatches > 0 ? lossSum / Double(lossBatches) : nil, DepthMetrics.mean(all).named, picture)
    }

    func describe(_ r: EpochRecord) -> String {
        var s = String(format: "epoch %3d/%d  train_loss %.4f  %.1f s (%.0f samples/s)", r.epoch, config.epochs, r.trainLoss, r.seconds, r.samplesPerSecond)
        if let v = r.valLoss { s += String(format: "  val_loss %.4f", v) }
        if let m = r.metrics {
            s += "  " + DepthMetrics.names.map { String(format: "%@ %.4f", $0, m[$0] ?? .nan) }.joined(separator: " ")
        }
        if r.skippedBatches > 0 { s += "  (\(r.skippedBatches) batches without valid depth skipped)" }
        return s
    }

    // MARK: logs

    func writeResolvedConfig() throws {
        var lines = ["# Resolved settings of \(config.runName): value  # origin"]
        for s in settings.sorted(by: { $0.key < $1.key }) { lines.append("\(s.key): \(s.value)  # \(s.origin)") }
        try writeFile(Data((lines.joined(separator: "\n") + "\n").utf8), to: directories.logs.appendingPathComponent("config.yaml"))
    }

    func readRecords() throws -> [EpochRecord] {
        guard FileManager.default.fileExists(atPath: directories.metricsLog.path) else { return [] }
        return try RunLog.readRecords(directories.metricsLog)
    }

    /// Rewrites metrics.jsonl from the run's records (on a resume, those up to the resume
    /// epoch were read back first), so a resumed run replaces the epochs it repeats.
    func writeRecords(_ records: [EpochRecord]) throws {
        let encoder = JSONCoding.encoder()
        let text = try records.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
        try writeFile(Data(text.utf8), to: directories.metricsLog)
    }
}
