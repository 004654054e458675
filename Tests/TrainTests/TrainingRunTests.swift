import Cache
import Foundation
import Ingest
import Model
import Support
import Testing
import TestSupport
@testable import Train

/// A featurized synthetic V2 dataset and a small run configuration for short trainings.
struct TrainingFixture {
    let dir: TemporaryFolder
    let base: TrainingConfig
    let cache: FeatureCache

    /// `edit` may change the cache file after featurize, before it is opened.
    init(format: AudioFormat = .spectrogram, samples: Int = 20, depthNorm: Bool = true, edit: ((URL) throws -> Void)? = nil) throws {
        dir = try TemporaryFolder("train")
        var synth = SyntheticDataset(kind: .batvisionv2, seed: 5, samples: samples, depthHeight: 36, depthWidth: 64)
        synth.samplesPerRoom = 4
        synth.showProgress = false
        try synth.write(to: dir.file("data"))
        let root = try DatasetRoot(dir.file("data"))
        let manifest = try Ingestor(kind: .batvisionv2, root: root, showProgress: false).run()
        try manifest.write(to: dir.file("manifest.json"))
        let feature = try FeatureConfig(dataset: .batvisionv2, audioFormat: format, maxDepth: 12, depthNorm: depthNorm, imagesSize: 32)
        var c = TrainingConfig(feature: feature, manifest: dir.file("manifest.json"), cacheDir: dir.file("cache"),
                               outputDir: dir.file("runs"), learningRate: 0.002, batchSize: 4,
                               model: UNetConfig(numDowns: 5, ngf: 4, depthNorm: depthNorm))
        c.epochs = 4
        c.validationIter = 2
        c.savingCheckpoints = 2
        c.predictionSamples = 2
        var f = Featurizer(manifest: manifest, root: root, config: feature, cacheDir: dir.file("cache"))
        f.showProgress = false
        let built = try f.run()
        try edit?(built.path)
        base = c
        cache = try CacheResolver.open(feature, manifest: c.manifest, cacheDir: c.cacheDir)
    }

    func trainer(_ experiment: String, _ change: (inout TrainingConfig) -> Void = { _ in }) throws -> Trainer {
        var c = base
        c.experimentName = experiment
        change(&c)
        let t = try Trainer(config: c, settings: [ResolvedSetting(key: "experiment_name", value: experiment, origin: "test")], cache: cache)
        t.log = { _ in }
        return t
    }
}

@Suite struct TrainingRunTests {
    /// The training picture of an epoch is its last batch's first samples (the baseline's),
    /// and only that batch's maps are copied for it.
    @Test func theTrainingPictureIsTheEpochsLastBatch() throws {
        let fx = try TrainingFixture()
        defer { fx.dir.cleanup() }
        let t = try fx.trainer("picture")
        _ = try t.trainEpoch(1)
        let stream = BatchStream(cache: fx.cache, splits: [.train], batchSize: fx.base.batchSize, shuffle: fx.base.shuffle,
                                 seed: fx.base.seed, epoch: 1, dropLast: false)
        var last: Batch?
        var count = 0
        while let b = try stream.nextBatch() { last = b; count += 1 }
        let batch = try #require(last)
        #expect(count > 1)
        let expected = batch.samples.prefix(fx.base.predictionSamples).map { t.trainIds[$0.index] }
        #expect(t.trainPanels.map(\.id) == Array(expected))
    }

    @Test func resumingFromACheckpointContinuesExactly() throws {
        let fx = try TrainingFixture()
        defer { fx.dir.cleanup() }
        let full = try fx.trainer("full").run()
        #expect(full.map(\.epoch) == [1, 2, 3, 4])
        // The same run stopped after epoch 2, then resumed from its checkpoint.
        _ = try fx.trainer("split") { $0.epochs = 2 }.run()
        let resumedTrainer = try fx.trainer("split") { $0.resumeEpoch = 2 }
        var logged: [String] = []
        resumedTrainer.log = { logged.append($0) }
        let resumed = try resumedTrainer.run()
        // Epochs 1 and 2 were read back, not trained again: only 3 and 4 ran.
        let trainedEpochs = logged.compactMap { line -> Int? in
            guard line.hasPrefix("epoch ") else { return nil }
            return Int(line.dropFirst(6).prefix { $0 != "/" }.trimmingCharacters(in: .whitespaces))
        }
        #expect(trainedEpochs == [3, 4], "\(logged)")
        #expect(resumed.map(\.epoch) == [1, 2, 3, 4])
        for (a, b) in zip(full, resumed) {
            #expect(a.trainLoss == b.trainLoss, "epoch \(a.epoch): \(a.trainLoss) vs \(b.trainLoss)")
            #expect(a.valLoss == b.valLoss && a.metrics == b.metrics, "epoch \(a.epoch) validation")
        }
        #expect(full[3].trainLoss < full[0].trainLoss)
        // Same final weights, bit for bit.
        let dirs = { (name: String) in RunDirectories(outputDir: fx.dir.file("runs"), runName: "unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_\(name)") }
        let a = try Checkpoint.read(dirs("full").checkpoint(epoch: 4)).tensors
        let b = try Checkpoint.read(dirs("split").checkpoint(epoch: 4)).tensors
        #expect(a == b)
    }

    @Test func runWritesTheSpecLayout() throws {
        let fx = try TrainingFixture()
        defer { fx.dir.cleanup() }
        // No TensorBoard pictures: this sheet writer writes no real PNG.
        let trainer = try fx.trainer("layout") { $0.saveBestModel = true; $0.bestMetric = .delta1; $0.validationDisplay = 0; $0.printTensorboard = 0 }
        trainer.writePredictionSheet = { url, panels, _, _ in
            #expect(panels.count == 2 && panels.allSatisfy { $0.gt.count == 32 * 32 })
            try Data("png".utf8).write(to: url)
        }
        let records = try trainer.run()
        let run = "unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_layout"
        #expect(trainer.config.runName == run)
        let d = trainer.directories
        let fm = FileManager.default
        for url in [d.checkpoint(epoch: 2), d.checkpoint(epoch: 4), Checkpoint.optimizerURL(d.checkpoint(epoch: 4)), d.best,
                    d.prediction(epoch: 2), d.prediction(epoch: 4), d.metricsLog, d.logs.appendingPathComponent("config.yaml")] {
            #expect(fm.fileExists(atPath: url.path), "missing \(url.path)")
        }
        #expect(d.prediction(epoch: 2).lastPathComponent == "epoch_0002_prediction.png")
        #expect(try fm.contentsOfDirectory(atPath: d.logs.path).contains { $0.hasPrefix("events.out.tfevents.") })
        // Validated epochs carry SPEC section 5's metrics; the log has one line per epoch.
        #expect(records.compactMap(\.metrics).count == 2)
        #expect(Set(records[1].metrics?.keys.map { $0 } ?? []) == Set(DepthMetrics.names))
        let lines = String(decoding: try Data(contentsOf: d.metricsLog), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 4)
        // The checkpoint is a PyTorch state_dict plus our metadata, and loads back.
        let (tensors, info) = try Checkpoint.read(d.checkpoint(epoch: 4))
        #expect(info?.epoch == 4 && info?.feature == fx.cache.config && info?.model == trainer.config.model)
        #expect(Set(tensors.keys) == Set(trainer.model.stateDict().keys))
        let reloaded = try UNet(trainer.config.model)
        try reloaded.load(stateDict: tensors, source: "checkpoint")
        #expect(reloaded.stateDict() == trainer.model.stateDict())
        // Starting the same run again would overwrite it: refused.
        #expect(throws: TrainError.self) { try fx.trainer("layout").run() }
    }

    /// A model that predicts 0 (ReLU head, all weights zero: nothing moves them) has the
    /// reference's infinite log10; the record and the console line say how many pixels made
    /// it so, and TensorBoard gets the count instead of an infinite value.
    @Test func anInfiniteLog10IsExplainedNotLoggedSilently() throws {
        let fx = try TrainingFixture(depthNorm: false)
        defer { fx.dir.cleanup() }
        var lines: [String] = []
        let trainer = try fx.trainer("zeros") { $0.epochs = 2; $0.validationIter = 1 }
        trainer.log = { lines.append($0) }
        let zeros = trainer.model.stateDict().mapValues { t -> NamedTensor in
            if let f = t.floats { return NamedTensor(shape: t.shape, floats: [Float](repeating: 0, count: f.count)) }
            return t
        }
        try trainer.model.load(stateDict: zeros, source: "zeros")
        let records = try trainer.run()
        let validPixels = try (0..<fx.cache.count(.val)).reduce(0) { n, i in n + (try fx.cache.sample(.val, i)).depth.filter { $0 > 0 }.count }
        for r in records {
            #expect(r.metrics?["log10"] == .infinity && r.log10NonFinitePixels == validPixels, "\(r)")
        }
        #expect(lines.contains { $0.contains("log10 is the reference's: infinite where \(validPixels) valid pixel(s) were predicted 0") }, "\(lines)")
        let events = try FileManager.default.contentsOfDirectory(at: trainer.directories.logs, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasPrefix("events.out.tfevents.") }
        let bytes = [UInt8](try Data(contentsOf: try #require(events.first)))
        func has(_ tag: String) -> Bool {
            let needle = [0x0A, UInt8(tag.utf8.count)] + Array(tag.utf8)
            return (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<($0 + needle.count)]) == needle }
        }
        #expect(!has("val/log10") && has("val/log10_nonfinite_pixels") && has("val/rmse"))
    }

    @Test func waveformFeaturesTrain() throws {
        let fx = try TrainingFixture(format: .waveform, samples: 12)
        defer { fx.dir.cleanup() }
        #expect(fx.cache.audioShape.count == 2)
        let records = try fx.trainer("wave") { $0.epochs = 2 }.run()
        #expect(records.count == 2 && records.allSatisfy { $0.trainLoss.isFinite })
    }

    @Test func missingCacheNamesTheFeaturizeCommand() throws {
        let fx = try TrainingFixture(samples: 8)
        defer { fx.dir.cleanup() }
        var other = fx.base.feature
        other.imagesSize = 64
        do {
            _ = try CacheResolver.open(other, manifest: fx.base.manifest, cacheDir: fx.base.cacheDir)
            Issue.record("expected a missing-cache error")
        } catch let CacheError.cacheMissing(_, hint) {
            #expect(hint.contains("batvision featurize --dataset batvisionv2") && hint.contains("--images_size 64"))
        }
    }

    @Test func runNamePrintsTheLearningRateLikePython() {
        #expect(pythonFloat(0.001) == "0.001")
        #expect(pythonFloat(0.0005) == "0.0005")
        #expect(pythonFloat(1e-5) == "1e-05")
        #expect(pythonFloat(2.5e-5) == "2.5e-05")
        #expect(pythonFloat(1.0) == "1.0")
        #expect(pythonFloat(1e16) == "1e+16")
        #expect(pythonFloat(.infinity) == "inf")
    }

    /// --overwrite starts clean: the old run's later checkpoints are gone, so eval's
    /// "latest" is this run's.
    @Test func overwriteRemovesTheOldRunsCheckpoints() throws {
        let fx = try TrainingFixture(samples: 12)
        defer { fx.dir.cleanup() }
        let first = try fx.trainer("again")
        try first.run()
        #expect(FileManager.default.fileExists(atPath: first.directories.checkpoint(epoch: 4).path))
        let second = try fx.trainer("again") { $0.epochs = 2 }
        second.overwrite = true
        try second.run()
        let names = try FileManager.default.contentsOfDirectory(atPath: second.directories.checkpoints.path).filter { $0.hasSuffix(".safetensors") }
        #expect(Set(names) == ["checkpoint_2.safetensors", "checkpoint_2.optim.safetensors"], "\(names)")
        #expect(!FileManager.default.fileExists(atPath: second.directories.prediction(epoch: 4).path))
    }

    /// Resuming refuses a checkpoint trained on another manifest.
    @Test func resumeChecksTheManifest() throws {
        let fx = try TrainingFixture(samples: 12)
        defer { fx.dir.cleanup() }
        let t = try fx.trainer("digest") { $0.epochs = 2 }
        try t.run()
        let url = t.directories.checkpoint(epoch: 2)
        var (tensors, info) = try Checkpoint.read(url)
        info?.manifestDigest = "0000"
        let model = try UNet(fx.base.model)
        try model.load(stateDict: tensors, source: "test")
        tensors = [:]
        try Checkpoint.save(model: model, optimizer: t.optimizer, info: try #require(info), to: url)
        do {
            try fx.trainer("digest") { $0.resumeEpoch = 2 }.run()
            Issue.record("resumed across manifests")
        } catch let error as TrainError {
            #expect(error.description.contains("another manifest"), "\(error)")
        }
    }

    /// A checkpoint and its optimiser file are written as a pair; a failed model write
    /// leaves no orphan optimiser file, and temporaries of a killed run are cleaned up.
    @Test func checkpointsAreWrittenAsPairs() throws {
        let fx = try TrainingFixture(samples: 12)
        defer { fx.dir.cleanup() }
        let t = try fx.trainer("pair") { $0.epochs = 2 }
        try t.run()
        let blocked = t.directories.checkpoints.appendingPathComponent("checkpoint_9.safetensors")
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("occupied"), withIntermediateDirectories: true)
        let (_, info) = try Checkpoint.read(t.directories.checkpoint(epoch: 2))
        #expect(throws: FileError.self) { try Checkpoint.save(model: t.model, optimizer: t.optimizer, info: try #require(info), to: blocked) }
        #expect(!FileManager.default.fileExists(atPath: Checkpoint.optimizerURL(blocked).path))
        let stale = t.directories.checkpoints.appendingPathComponent(".checkpoint_2.safetensors.partial-99999")
        try Data("half".utf8).write(to: stale)
        try fx.trainer("pair") { $0.resumeEpoch = 2; $0.epochs = 3 }.run()
        #expect(!FileManager.default.fileExists(atPath: stale.path))
    }

    /// While one train writes a run, a second of the same name is refused.
    @Test func aSecondTrainOfTheSameRunIsRefused() throws {
        let fx = try TrainingFixture(samples: 12)
        defer { fx.dir.cleanup() }
        let t = try fx.trainer("locked") { $0.epochs = 1 }
        try createDirectory(t.directories.checkpoints)
        let held = try FileLock(t.directories.checkpoints.appendingPathComponent(".run.lock"), purpose: "training this run")
        defer { held.release() }
        #expect(throws: FileLockError.self) { try t.run() }
        #expect(!FileManager.default.fileExists(atPath: t.directories.metricsLog.path))
    }

    /// NaN in the cached features stops training, naming the samples.
    @Test func nonFiniteCachedFeaturesStopTraining() throws {
        let fx = try TrainingFixture(samples: 12) { path in
            let file = try HDF5File(path: path.path, mode: .readWrite)
            let audio = try file.openDataset("/train/audio")
            let row = [Float](repeating: .nan, count: audio.rowSize)
            try row.withUnsafeBufferPointer { try audio.writeRows(1, count: 1, $0) }
            audio.close()
            file.close()
        }
        defer { fx.dir.cleanup() }
        let id = try fx.cache.sampleIds(.train)[1]
        do {
            try fx.trainer("nan").run()
            Issue.record("trained on NaN")
        } catch let error as TrainError {
            #expect(error.description.contains(id) && error.description.contains("NaN"), "\(error)")
        }
    }

    /// An output folder that cannot be made is a plain, named error.
    @Test func anUnwritableOutputFolderIsNamed() throws {
        let fx = try TrainingFixture(samples: 12)
        defer { fx.dir.cleanup() }
        let blocker = fx.dir.file("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        do {
            try fx.trainer("out") { $0.outputDir = blocker }.run()
            Issue.record("trained into a file")
        } catch let error as FileError {
            #expect(error.description.contains(blocker.path) && !error.description.contains("NSCocoaErrorDomain"), "\(error)")
        }
    }

    /// A model or batch that cannot fit is refused before allocation, with the memory it
    /// needs and the largest batch that fits.
    @Test func whatCannotFitIsRefusedWithTheSizeItNeeds() throws {
        let c = UNetConfig(numDowns: 8, ngf: 64, depthNorm: true)
        #expect(c.parameterCount == 54_408_833)
        for (n, f) in [(5, 4), (6, 16), (7, 8)] {
            let config = UNetConfig(numDowns: n, ngf: f, depthNorm: false)
            #expect(config.parameterCount == (try UNet(config)).parameterCount)
        }
        do {
            try c.checkFits(batch: 128, size: 256, training: true, available: 4e9)
            Issue.record("accepted")
        } catch let error as ModelError {
            let fits = c.largestBatch(size: 256, within: 4e9)
            #expect(fits >= 1 && fits < 128 && error.description.contains("at most \(fits)") && error.description.contains("GB"), "\(error)")
        }
        try c.checkFits(batch: 8, size: 256, training: true, available: 4e9)
    }

    /// Replacing a checkpoint: its old model file goes before the new optimiser file is
    /// written, so a failure (or a kill) never leaves old weights beside new moments.
    @Test func aReplacedCheckpointNeverPairsOldWeightsWithNewMoments() throws {
        let fx = try TrainingFixture(samples: 12)
        defer { fx.dir.cleanup() }
        let t = try fx.trainer("replace") { $0.epochs = 2 }
        try t.run()
        let url = t.directories.checkpoint(epoch: 2)
        let (_, info) = try Checkpoint.read(url)
        let opt = Checkpoint.optimizerURL(url)
        try FileManager.default.removeItem(at: opt)
        try FileManager.default.createDirectory(at: opt.appendingPathComponent("occupied"), withIntermediateDirectories: true)
        #expect(throws: FileError.self) { try Checkpoint.save(model: t.model, optimizer: t.optimizer, info: try #require(info), to: url) }
        #expect(!FileManager.default.fileExists(atPath: url.path), "the old model file is gone, not left beside other moments")
    }
}
