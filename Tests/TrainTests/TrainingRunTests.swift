import Cache
import Foundation
import Ingest
import Testing
import TestSupport
@testable import Train

/// A featurized synthetic V2 dataset and settings for short training runs.
struct TrainingFixture {
    let dir: TemporaryFolder
    let settings: Settings
    let cache: FeatureCache

    init(format: AudioFormat = .spectrogram, samples: Int = 20, overrides: [String: String] = [:]) throws {
        dir = try TemporaryFolder("train")
        var synth = SyntheticDataset(kind: .batvisionv2, seed: 5, samples: samples, depthHeight: 36, depthWidth: 64)
        synth.samplesPerRoom = 4
        synth.showProgress = false
        try synth.write(to: dir.file("data"))
        let root = try DatasetRoot(dir.file("data"))
        let manifest = try Ingestor(kind: .batvisionv2, root: root, showProgress: false).run()
        try manifest.write(to: dir.file("manifest.json"))
        var s = Settings(values: Settings.builtInDefaults(.batvisionv2))
        s.merge(["manifest": dir.file("manifest.json").path, "cache_dir": dir.file("cache").path,
                 "audio_format": format.rawValue, "images_size": "32", "max_depth": "12.0", "depth_norm": "true",
                 "num_downs": "5", "ngf": "4", "batch_size": "4", "epochs": "4", "validation_iter": "2",
                 "saving_checkpoints": "2", "learning_rate": "0.002", "output_dir": dir.file("runs").path,
                 "prediction_samples": "2"], origin: "test")
        s.merge(overrides, origin: "test")
        for (k, v) in TrainingConfig.defaults { s.setDefault(k, v) }
        var f = Featurizer(manifest: manifest, root: root, config: try s.featureConfig(), cacheDir: dir.file("cache"))
        f.showProgress = false
        _ = try f.run()
        settings = s
        cache = try CacheResolver.open(s)
    }

    func trainer(_ extra: [String: String]) throws -> Trainer {
        var s = settings
        s.merge(extra, origin: "test")
        let t = try Trainer(config: try TrainingConfig(settings: s), settings: s, cache: cache)
        t.log = { _ in }
        return t
    }
}

@Suite struct TrainingRunTests {
    @Test func resumingFromACheckpointContinuesExactly() throws {
        let fx = try TrainingFixture()
        defer { fx.dir.cleanup() }
        let full = try fx.trainer(["experiment_name": "full"]).run()
        #expect(full.map(\.epoch) == [1, 2, 3, 4])
        // The same run stopped after epoch 2, then resumed from its checkpoint.
        _ = try fx.trainer(["experiment_name": "split", "epochs": "2"]).run()
        let resumedTrainer = try fx.trainer(["experiment_name": "split", "checkpoints": "2"])
        let resumed = try resumedTrainer.run()
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
        let trainer = try fx.trainer(["experiment_name": "layout", "save_best_model": "true", "best_metric": "delta1"])
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
        #expect(throws: TrainError.self) { try fx.trainer(["experiment_name": "layout"]).run() }
    }

    @Test func waveformFeaturesTrain() throws {
        let fx = try TrainingFixture(format: .waveform, samples: 12)
        defer { fx.dir.cleanup() }
        #expect(fx.cache.audioShape.count == 2)
        let records = try fx.trainer(["experiment_name": "wave", "epochs": "2"]).run()
        #expect(records.count == 2 && records.allSatisfy { $0.trainLoss.isFinite })
    }

    @Test func missingCacheNamesTheFeaturizeCommand() throws {
        let fx = try TrainingFixture(samples: 8)
        defer { fx.dir.cleanup() }
        var s = fx.settings
        s.set("images_size", "64")
        do {
            _ = try CacheResolver.open(s)
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
