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
    /// Draws a prediction sheet: `panels` on a colour scale up to `maxDepth` metres (when
    /// set), under `title`, to `url` (a PNG, with its SVG and PDF beside it).
    public var writePredictionSheet: ((_ url: URL, _ panels: [DepthPanel], _ maxDepth: Double?, _ title: String) throws -> Void)?
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
    private(set) lazy var trainIds: [String] = (try? cache.sampleIds(.train)) ?? []
    /// Wall time of each epoch this process finished, validation included (for the run's ETA).
    private var epochWallTimes: [Double] = []
    /// The last training batch's first samples, on epochs whose training picture is shown.
    private(set) var trainPanels: [DepthPanel] = []
    /// Every batch's loss of the epoch just trained, for TensorBoard's per-iteration curve.
    private var iterationLosses: [Double] = []

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
        try TrainingMemory.check(model: config.model, batch: config.batchSize, trainSamples: cache.count(.train), size: input.size,
                                 sampleFloats: cache.audioSize + cache.depthSize)
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
        try writeConstantPredictor()
        let board = try TensorBoardWriter(directory: directories.logs)
        try describeRun(to: board)
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
                record.log10NonFinitePixels = v.nonFiniteLog10
                picture = v.picture
            }
            records.append(record)
            try finishEpoch(record, records: records, board: board, best: &best)
            try showPictures(epoch: epoch, validation: picture, board: board)
            epochWallTimes.append(clock.seconds)
            epochFinished?(record, picture)
        }
        try board.hyperparametersFinished()
        return records
    }

    /// TensorBoard's text and hparams tabs: the resolved config and the settings, as the
    /// baseline's SummaryWriter shows its Hydra config.
    func describeRun(to board: TensorBoardWriter) throws {
        let text = settings.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)  # \($0.origin)" }.joined(separator: "\n")
        try board.text("config", "    " + text.replacingOccurrences(of: "\n", with: "\n    "), step: 0)
        let values = settings.sorted { $0.key < $1.key }.map { s -> (name: String, value: TensorBoardWriter.HParam) in
            if let d = Double(s.value), d.isFinite { return (s.key, .number(d)) }
            if s.value == "true" || s.value == "false" { return (s.key, .bool(s.value == "true")) }
            return (s.key, .text(s.value))
        }
        try board.hyperparameters(values, metrics: ["val/loss", "val/rmse", "val/abs_rel", "val/delta1"])
    }

    /// Batches of the training split per epoch (the last one short).
    var batchesPerEpoch: Int { (cache.count(.train) + config.batchSize - 1) / config.batchSize }

    /// Whether epoch `epoch` draws its last training batch (every `print_tensorboard` epochs; 0: never).
    func showsTrainingPicture(_ epoch: Int) -> Bool { config.printTensorboard > 0 && epoch % config.printTensorboard == 0 }

    /// The epoch's pictures in TensorBoard: the validation sheet every `validation_display`
    /// epochs (among the validated ones) and the last training batch's every
    /// `print_tensorboard` epochs, as the baseline shows them.
    func showPictures(epoch: Int, validation: URL?, board: TensorBoardWriter) throws {
        if let validation, config.validationDisplay > 0, epoch % config.validationDisplay == 0 {
            try board.pngImage("val/prediction", at: validation, step: epoch)
        }
        if showsTrainingPicture(epoch), !trainPanels.isEmpty, let writer = writePredictionSheet {
            let url = directories.trainPrediction(epoch: epoch)
            try writer(url, trainPanels, cache.config.maxDepth, "training batch, epoch \(epoch)")
            try board.pngImage("train/prediction", at: url, step: epoch)
        }
        trainPanels = []
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
        } else {
            // A fresh start (asked to overwrite, or after an attempt killed before its first
            // checkpoint): no earlier attempt's logs, event files or pictures stay to mix
            // with this run's.
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

    /// Starting over (`--overwrite`, or a fresh start where an earlier attempt left logs):
    /// the old run's checkpoints, pictures and logs go, so no stale checkpoint of a later
    /// epoch can be mistaken for this run's (eval picks the latest) and TensorBoard shows
    /// one run. Only the tool's own files: anything else in the folders stays.
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
        try remove(in: directories.logs, keeping: { !($0 == "metrics.jsonl" || $0 == "config.yaml" || $0 == ConstantPredictor.fileName
                                                    || $0 == "wandb-run-id" || $0.hasPrefix("events.out.tfevents.")) })
    }

    /// One pass over the shuffled training split: forward, loss, backward, clip, step.
    func trainEpoch(_ epoch: Int) throws -> EpochRecord {
        let clock = Stopwatch()
        let stream = BatchStream(cache: cache, splits: [.train], batchSize: config.batchSize, shuffle: config.shuffle,
                                 seed: config.seed, epoch: epoch, dropLast: false, prefetch: config.numThreads)
        var lossSum = 0.0, batches = 0, skipped = 0, seen = 0, waited = 0.0
        let total = batchesPerEpoch
        iterationLosses = []
        let showing = showsTrainingPicture(epoch)
        let perEpoch = epochWallTimes.isEmpty ? nil : epochWallTimes.reduce(0, +) / Double(epochWallTimes.count)
        // The time blocked in nextBatch is the time the reader did not keep up.
        func next() throws -> Batch? {
            let wait = Stopwatch()
            defer { waited += wait.seconds }
            return try stream.nextBatch()
        }
        while let batch = try next() {
            defer {
                progress?(TrainingProgress(epoch: epoch, epochs: config.epochs, batch: batches + skipped, batches: total, samples: seen,
                                           seconds: clock.seconds,
                                           meanLoss: batches > 0 ? lossSum / Double(batches) : .nan, secondsPerEpoch: perEpoch))
            }
            // The picture shows the epoch's last batch: only its panels are copied.
            let index = batches + skipped + 1
            guard let value = try step(batch, epoch: epoch, index: index, keepingPanels: showing && index == total) else {
                skipped += 1  // no valid depth pixel
                continue
            }
            iterationLosses.append(Double(value))
            lossSum += Double(value)
            batches += 1
            seen += batch.count
        }
        let seconds = clock.seconds
        var record = EpochRecord(epoch: epoch, trainLoss: batches > 0 ? lossSum / Double(batches) : .nan, seconds: seconds,
                                 samplesPerSecond: Double(seen) / max(seconds, 1e-9), skippedBatches: skipped)
        record.dataSeconds = waited
        return record
    }

    /// One optimiser step on `batch`; its loss, or nil when the batch has no valid depth.
    /// With `keepingPanels`, its first samples' predictions are kept for the training picture.
    func step(_ batch: Batch, epoch: Int, index: Int = 0, keepingPanels: Bool = false) throws -> Float? {
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
        if keepingPanels {
            let pixels = input.size * input.size
            trainPanels = (0..<min(batch.count, max(config.predictionSamples, 1))).map { n in
                let i = batch.samples[n].index
                return DepthPanel(id: i < trainIds.count ? trainIds[i] : "train/\(i)", split: .train,
                                  gt: batch.depth[(n * pixels)..<((n + 1) * pixels)].map { $0 * scale },
                                  pred: pred[(n * pixels)..<((n + 1) * pixels)].map { $0 * scale }, size: input.size)
            }
        }
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
    func finishEpoch(_ record: EpochRecord, records: [EpochRecord], board: TensorBoardWriter, best: inout Double?) throws {
        try writeRecords(records)
        var scalars: [(tag: String, value: Double)] = [("train/loss", record.trainLoss)]
        if let vl = record.valLoss { scalars.append(("val/loss", vl)) }
        for (k, v) in (record.metrics ?? [:]).sorted(by: { $0.key < $1.key }) { scalars.append(("val/\(k)", v)) }
        if let n = record.log10NonFinitePixels { scalars.append(("val/log10_nonfinite_pixels", Double(n))) }
        scalars += [("time/epoch_seconds", record.seconds), ("train/learning_rate", config.learningRate)]
        if let d = record.dataSeconds, let f = record.dataWaitFraction { scalars += [("time/data_wait_seconds", d), ("time/data_wait_fraction", f)] }
        // A non-finite figure is left out of TensorBoard (it would break the chart), never
        // silently: the console line and metrics.jsonl say why (the count above).
        try board.scalars(scalars.filter(\.value.isFinite), step: record.epoch)
        // The per-iteration loss, at the global step (batches of every epoch before).
        for (k, value) in iterationLosses.enumerated() where value.isFinite {
            try board.scalars([("train/loss_iter", value)], step: (record.epoch - 1) * batchesPerEpoch + k + 1)
        }
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
    func validate(epoch: Int) throws -> (loss: Double?, metrics: [String: Double], nonFiniteLog10: Int, picture: URL?) {
        var lossSum = 0.0, lossBatches = 0
        var all: [DepthMetrics] = []
        var nonFiniteLog10 = 0
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
                let m = sampleMetrics(gt: dp, pred: pp, samples: batch.count, pixels: pixels, predStride: pixels, scale: scale)
                all += m.metrics
                nonFiniteLog10 += m.nonFiniteLog10
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
            try writer(url, panels, cache.config.maxDepth, "validation, epoch \(epoch)")
            picture = url
        }
        return (lossBatches > 0 ? lossSum / Double(lossBatches) : nil, DepthMetrics.mean(all).named, nonFiniteLog10, picture)
    }

    func describe(_ r: EpochRecord) -> String {
        var s = String(format: "epoch %3d/%d  train_loss %.4f  %.1f s (%.0f samples/s", r.epoch, config.epochs, r.trainLoss, r.seconds, r.samplesPerSecond)
        s += r.dataWaitFraction.map { String(format: ", data wait %.0f %%)", 100 * $0) } ?? ")"
        if let v = r.valLoss { s += String(format: "  val_loss %.4f", v) }
        if let m = r.metrics {
            s += "  " + DepthMetrics.names.map { String(format: "%@ %.4f", $0, m[$0] ?? .nan) }.joined(separator: " ")
        }
        if let n = r.log10NonFinitePixels, n > 0 {
            s += "  (log10 is the reference's: infinite where \(n) valid pixel(s) were predicted 0)"
        }
        if r.skippedBatches > 0 { s += "  (\(r.skippedBatches) batches without valid depth skipped)" }
        return s
    }

    // MARK: logs

    /// The constant predictor's validation figures, the baseline the run must beat:
    /// written before the first epoch, said on the console, read by `compare`.
    func writeConstantPredictor() throws {
        guard config.validation, cache.count(.val) > 0 else { return }
        let figures = try ConstantPredictor(cache: cache).evaluate(on: .val, of: cache, scale: scale)
        try writeFile(try JSONCoding.encoder(pretty: true).encode(figures),
                      to: directories.logs.appendingPathComponent(ConstantPredictor.fileName))
        log("constant predictor (the training split's mean depth per pixel) on validation: "
            + ["rmse", "abs_rel", "delta1"].map { String(format: "%@ %.4f", $0, figures.metrics[$0] ?? .nan) }.joined(separator: " "))
    }

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
