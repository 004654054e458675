import Foundation
import Model
import Testing
import TestSupport

/// The whole chain through the executable on a synthetic V1 dataset: synth, ingest,
/// featurize, the V1 train command (a small U-Net), then eval of its checkpoint.
@Suite struct EvalCommandTests {
    @Test func trainThenEvalWritesEveryOutput() throws {
        let dir = try TemporaryFolder("evalcli")
        defer { dir.cleanup() }
        let bv = try batvisionExecutable()
        let conf = Fixtures.repository.appendingPathComponent("conf").path
        func run(_ args: [String]) throws -> String {
            let (status, text) = try runProcess(bv, args)
            #expect(status == 0, "\(args.prefix(2)): \(text)")
            return text
        }
        let data = dir.file("data").path, manifest = dir.file("m.json").path, cache = dir.file("cache").path
        let common = ["--dataset", "batvisionv1", "--manifest", manifest, "--cache_dir", cache, "--conf_dir", conf, "--images_size", "32"]
        _ = try run(["synth", "--dataset", "batvisionv1", "--out", data, "--samples", "24", "--depth_height", "48", "--depth_width", "64"])
        _ = try run(["ingest", "--dataset", "batvisionv1", "--dataset_dir", data, "--manifest", manifest])
        // Training before featurizing names the featurize command.
        let runArgs = ["--learning_rate", "0.001", "--batch_size", "128", "--experiment_name", "base_v1_default",
                       "--num_downs", "5", "--ngf", "4", "--epochs", "2", "--saving_checkpoints", "1",
                       "--validation_iter", "1", "--output_dir", dir.url.path]
        let (missing, message) = try runProcess(bv, ["train"] + common + runArgs)
        #expect(missing == 2 && message.contains("batvision featurize --dataset batvisionv1"), "\(message)")
        _ = try run(["featurize", "--quiet"] + common)
        let trained = try run(["train"] + common + runArgs)
        #expect(trained.contains("validation after epoch 2"))
        let runName = "unet_baseline_batvisionv1_BS128_Lr0.001_AdamW_base_v1_default"
        let fm = FileManager.default
        for rel in ["checkpoints/\(runName)/checkpoint_1.safetensors", "checkpoints/\(runName)/checkpoint_2.safetensors",
                    "results/\(runName)/epoch_0002_prediction.png", "logs/\(runName)/metrics.jsonl", "logs/\(runName)/config.yaml"] {
            #expect(fm.fileExists(atPath: dir.file(rel).path), "missing \(rel)")
        }
        // Every flag of SPEC section 4 is accepted under its name.
        let flagged = try run(["train"] + common + ["--learning_rate", "1e-05", "--batch_size", "8", "--experiment_name", "flags",
            "--num_downs", "5", "--ngf", "4", "--epochs", "1", "--output_dir", dir.url.path, "--criterion", "L1",
            "--optimizer", "SGD", "--silog_lambda", "0.5", "--l1_weight", "0.3", "--silog_weight", "0.7",
            "--validation", "false", "--validation_iter", "3", "--save_best_model", "--best_metric", "abs_rel",
            "--use_wandb", "--wandb_project", "p", "--wandb_entity", "e", "--wandb_mode", "offline",
            "--shuffle", "false", "--seed", "3", "--saving_checkpoints", "5", "--prediction_samples", "1", "--clip_grad_norm", "0.5"])
        // --use_wandb with offline mode: an offline W&B run when python3 has the client, else one line and training goes on.
        // A seed other than 0 ends the run name.
        let wandbFolder = dir.file("logs/unet_baseline_batvisionv1_BS8_Lr1e-05_SGD_flags_seed3/wandb").path
        #expect(flagged.contains("unet_baseline_batvisionv1_BS8_Lr1e-05_SGD_flags_seed3")
                && (flagged.contains("W&B: the W&B client is not installed for python3 (pip install wandb pillow)") || fm.fileExists(atPath: wandbFolder)))
        #expect(fm.fileExists(atPath: dir.file("checkpoints/unet_baseline_batvisionv1_BS8_Lr1e-05_SGD_flags_seed3/checkpoint_1.safetensors").path))
        let stats = dir.file("stats").path
        // eval takes the run's identity (what names it), not its training settings.
        let identity = ["--learning_rate", "0.001", "--batch_size", "128", "--experiment_name", "base_v1_default",
                        "--output_dir", dir.url.path]
        let (trainFlag, trainFlagMessage) = try runProcess(bv, ["eval"] + common + identity + ["--num_downs", "5"])
        #expect(trainFlag == 64 && trainFlagMessage.contains("--num_downs"), "\(trainFlagMessage)")
        let evaluated = try run(["eval"] + common + identity + ["--checkpoints", "2", "--stat_dir", stats])
        for name in ["abs_rel", "rmse", "delta1", "delta2", "delta3", "log10", "mae", "constant predictor", "by ground-truth depth"] {
            #expect(evaluated.contains(name), "table lacks \(name): \(evaluated)")
        }
        let out = dir.file("stats/\(runName)")
        let csv = String(decoding: try Data(contentsOf: out.appendingPathComponent("epoch_0002_test_per_sample.csv")), as: UTF8.self)
        let rows = csv.split(separator: "\n")
        #expect(rows.first == "sample,split,location,abs_rel,rmse,delta1,delta2,delta3,log10,mae")
        #expect(rows.count > 1 && rows.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 10 })
        let summaryData = try Data(contentsOf: out.appendingPathComponent("epoch_0002_test_summary.json"))
        // Paths as they are (no "\/"), and bins without pixels report null, not 0.
        #expect(!String(decoding: summaryData, as: UTF8.self).contains("\\/"))
        let summary = try JSONSerialization.jsonObject(with: summaryData) as? [String: Any]
        let bins = (summary?["depth_bins"] as? [[String: Any]]) ?? []
        #expect(!bins.isEmpty && bins.allSatisfy { ($0["pixels"] as? Int) != 0 || $0["rmse"] is NSNull })
        #expect((summary?["metrics"] as? [String: Any])?.count == 7)
        #expect((summary?["depth_bins"] as? [Any])?.isEmpty == false)
        #expect((summary?["samples"] as? Int) == rows.count - 1)
        let png = try Data(contentsOf: out.appendingPathComponent("epoch_0002_test_sheet.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))

        // A checkpoint whose metadata names its run "../../x" still writes inside stat_dir.
        let ckpt = dir.file("checkpoints/\(runName)/checkpoint_2.safetensors")
        var (tensors, metadata) = try SafeTensors.read(ckpt)
        let meta = try #require(metadata["batvision"])
        metadata["batvision"] = meta.replacingOccurrences(of: runName, with: "../../x")
        let hostile = dir.file("hostile.safetensors")
        try SafeTensors.write(tensors, metadata: metadata, to: hostile)
        tensors = [:]
        let escapeStats = dir.file("deep/stats")
        let escaped = try run(["eval"] + common + identity + ["--checkpoint", hostile.path, "--stat_dir", escapeStats.path])
        #expect(escaped.contains(escapeStats.path + "/.._.._x/"), "\(escaped)")
        #expect(!fm.fileExists(atPath: dir.file("x").path) && !fm.fileExists(atPath: dir.file("deep/x").path))

        // Without its cache, eval names the featurize command of the checkpoint's settings,
        // even when the flags ask for other features.
        try FileManager.default.removeItem(atPath: cache)
        let (status, refusal) = try runProcess(bv, ["eval"] + common + identity + ["--checkpoints", "2", "--stat_dir", stats, "--audio_format", "waveform"])
        #expect(status == 2 && refusal.contains("batvision featurize --dataset batvisionv1") && refusal.contains("--audio_format spectrogram")
                && refusal.contains("--images_size 32"), "\(refusal)")
    }
}
