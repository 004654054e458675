import Cache
import Foundation
import Ingest
import Model
import Testing
import TestSupport
@testable import Train

/// A featurized synthetic V2 dataset and a small run configuration for short trainings.
struct TrainingFixture {
    let dir: TemporaryFolder
    let base: TrainingConfig
    let cache: FeatureCache

    init(format: AudioFormat = .spectrogram, samples: Int = 20) throws {
        dir = try TemporaryFolder("train")
        var synth = SyntheticDataset(kind: .batvisionv2, seed: 5, samples: samples, depthHeight: 36, depthWidth: 64)
        synth.samplesPerRoom = 4
        synth.showProgress = false
        try synth.write(to: dir.file("data"))
        let root = try DatasetRoot(dir.file("data"))
        let manifest = try Ingestor(kind: .batvisionv2, root: root, showProgress: false).run()
        try manifest.write(to: dir.file("manifest.json"))
        let feature = try FeatureConfig(dataset: .batvisionv2, audioFormat: format, maxDepth: 12, depthNorm: true, imagesSize: 32)
        var c = TrainingConfig(feature: feature, manifest: dir.file("manifest.json"), cacheDir: dir.file("cache"),
                               outputDir: dir.file("runs"), learningRate: 0.002, batchSize: 4,
                               model: UNetConfig(numDowns: 5, ngf: 4, depthNorm: true))
        c.epochs = 4
        c.validationIter = 2
        c.savingCheckpoints = 2
        c.predictionSamples = 2
        var f = Featurizer(manifest: manifest, root: root, config: feature, cacheDir: dir.file("cache"))
        f.showProgress = false
        _ = try f.run()
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
        let trainer = try fx.trainer("layout") { $0.saveBestModel = true; $0.bestMetric = .delta1 }
        trainer.writePredictionSheet = { url, panels, _ in
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
}
