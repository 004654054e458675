import ArgumentParser
import Eval
import Foundation
import Ingest
import Pictures
import Support
import Testing
import TestSupport
import Train
@testable import BatvisionCLI

/// The guide's matrix as data: `experiments run`, `compare`, and what a run says on the way.
@Suite struct ExperimentsTests {
    static let guide = Fixtures.repository.appendingPathComponent("experiments/batvisionv1-guide.yaml")

    /// --dry-run prints the guide's commands as the guide has them.
    @Test func dryRunPrintsTheGuidesCommands() throws {
        let r = try runProcess(try batvisionExecutable(), ["experiments", "run", Self.guide.path, "--dry-run"])
        #expect(r.status == 0, "\(r.output)")
        let lines = r.output.split(separator: "\n").map(String.init)
        let base = "batvision train --dataset batvisionv1 --use_wandb --learning_rate 0.001 --batch_size 128"
        #expect(lines.count == 12 && lines.allSatisfy { $0.hasPrefix(base.replacingOccurrences(of: " --learning_rate 0.001 --batch_size 128", with: "")) })
        #expect(lines.first == base + " --experiment_name base_v1_default")
        for change in ["--silog_lambda 0.85", "--l1_weight 0.3 --silog_weight 0.7", "--validation_iter 5", "--criterion L1",
                       "--criterion SIlog", "--audio_format waveform", "--save_best_model --best_metric rmse",
                       "--save_best_model --best_metric rmse --silog_lambda 0.85 --l1_weight 0.2 --silog_weight 0.8"] {
            #expect(lines.contains { $0.hasPrefix(base + " " + change + " --experiment_name") }, "no run with \(change)")
        }
        for lr in ["0.0005", "0.002"] {
            #expect(lines.contains { $0.hasPrefix("batvision train --dataset batvisionv1 --use_wandb --learning_rate \(lr) --batch_size 128 --experiment_name") })
        }
        let v2 = try runProcess(try batvisionExecutable(), ["experiments", "run", Fixtures.repository.appendingPathComponent("experiments/batvisionv2-guide.yaml").path, "--dry-run", "--only", "base_v2_default"])
        #expect(v2.output == "batvision train --dataset batvisionv2 --use_wandb --learning_rate 0.002 --batch_size 256 --experiment_name base_v2_default\n")
    }

    @Test func setReplacesARunsOwnFlag() throws {
        let flags = ["--dataset", "batvisionv1", "--use_wandb", "--ngf", "64", "--save_best_model", "--epochs=80"]
        let ngf = try #require(SettingOverride(argument: "ngf=8"))
        #expect(ngf.apply(to: flags) == ["--dataset", "batvisionv1", "--use_wandb", "--save_best_model", "--epochs=80", "--ngf", "8"])
        let off = try #require(SettingOverride(argument: "use_wandb=false"))
        #expect(off.apply(to: flags) == ["--dataset", "batvisionv1", "--ngf", "64", "--save_best_model", "--epochs=80", "--no_use_wandb"])
        let epochs = try #require(SettingOverride(argument: "epochs=2"))
        #expect(epochs.apply(to: flags).suffix(2) == ["--epochs", "2"] && !epochs.apply(to: flags).contains("--epochs=80"))
        for bad in ["ngf", "nonsense=1", "ngf=", "use_wandb=maybe", "ngf=8 9"] { #expect(SettingOverride(argument: bad) == nil, "\(bad)") }
    }

    @Test func badPlansAreRefusedNamingTheFileAndRun() throws {
        func refused(_ text: String, _ expected: String) {
            do {
                _ = try ExperimentPlan.parse(text, path: "plan.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".contains("plan.yaml") && "\(error)".contains(expected), "\(error)")
            }
        }
        refused("runs: []\n", "non-empty list")
        refused("runs:\n  - name: a\n", "expected `name:` and `flags:`")
        refused("runs:\n  - {name: a, flags: --epochs 1}\n  - {name: a, flags: --epochs 2}\n", "used twice")
        refused("runs:\n  - {name: a, flags: --experiment_name \"x y\"}\n", "no quotes")
        refused("runs:\n  - {name: ../a, flags: --epochs 1}\n", "letters, digits")
        refused("rusn:\n  - {name: a, flags: --epochs 1}\n", "unknown key 'rusn'")
        let plan = try ExperimentPlan.parse("description: d\nruns:\n  - name: a\n    flags: --dataset batvisionv2  --epochs 1\n", path: "p.yaml")
        #expect(plan.runs == [ExperimentPlan.Run(name: "a", flags: ["--dataset", "batvisionv2", "--epochs", "1"])])

        // Whole-plan checks before any work: a bad flag, two runs in one folder, no manifest.
        let dir = try TemporaryFolder("plan")
        defer { dir.cleanup() }
        let bv = try batvisionExecutable()
        let file = dir.file("p.yaml")
        try Data("runs:\n  - {name: a, flags: --dataset batvisionv2 --epochs 1 --experiment_name a}\n  - {name: b, flags: --dataset batvisionv2 --epochs 2 --experiment_name b}\n".utf8).write(to: file)
        try Data("{}".utf8).write(to: dir.file("m.json"))  // present; never read, as the plan stops first
        let same = try runProcess(bv, ["experiments", "run", file.path, "--set", "experiment_name=x", "--set", "manifest=\(dir.file("m.json").path)"], in: dir.url)
        #expect(same.status == 2 && same.output.contains("run 'b'") && same.output.contains("same folder as run 'a'"), "\(same.output)")
        let unknown = try runProcess(bv, ["experiments", "run", file.path, "--set", "epoch=3"], in: dir.url)
        #expect(unknown.status == 64, "\(unknown.output)")
        let noManifest = try runProcess(bv, ["experiments", "run", file.path, "--set", "manifest=\(dir.file("none.json").path)"], in: dir.url)
        #expect(noManifest.status == 2 && noManifest.output.contains("run 'a'") && noManifest.output.contains("none.json"), "\(noManifest.output)")
        let only = try runProcess(bv, ["experiments", "run", file.path, "--only", "c"], in: dir.url)
        #expect(only.status == 64 && only.output.contains("a, b"), "\(only.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("checkpoints").path))
    }

    /// The whole V1 matrix, shrunk with --set, on a synthetic V1 dataset: every run trains;
    /// a rerun skips the finished runs and resumes an interrupted one to the same result;
    /// `compare` tabulates and draws them.
    @Test func theGuidesMatrixRunsResumesAndCompares() throws {
        let data = try SmallDataset(samples: 14, kind: .batvisionv1)
        defer { data.dir.cleanup() }
        let bv = try batvisionExecutable()
        let out = data.dir.file("out")
        let set = ["manifest=\(data.dir.file("manifest.json").path)", "cache_dir=\(data.dir.file("cache").path)", "num_downs=5",
                   "ngf=4", "images_size=32", "epochs=2", "batch_size=8", "validation_iter=1", "saving_checkpoints=1",
                   "output_dir=\(out.path)", "use_wandb=false", "threads=2"].flatMap { ["--set", $0] }
        let first = try runProcess(bv, ["experiments", "run", Self.guide.path] + set, in: data.dir.url)
        #expect(first.status == 0, "\(first.output.suffix(3000))")
        let plan = try ExperimentPlan.read(Self.guide)
        let names = plan.runs.map { run -> String in
            let experiment = run.flags[(run.flags.firstIndex(of: "--experiment_name") ?? 0) + 1]
            let lr = run.flags[(run.flags.firstIndex(of: "--learning_rate") ?? 0) + 1]
            return "unet_baseline_batvisionv1_BS8_Lr\(lr)_AdamW_\(experiment)"
        }
        for name in names {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoints/\(name)/checkpoint_2.safetensors").path), "\(name)")
            #expect(try RunLog(directory: out.appendingPathComponent("logs/\(name)")).records.map(\.epoch) == [1, 2])
        }
        // The table ends in its conclusion: the best run, or that none beats the constant predictor.
        #expect(first.output.contains("== \(Self.guide.path): 12 runs")
                && (first.output.contains("best validation rmse: ") || first.output.contains("no run beats the constant predictor")))

        // Interrupt the base run after epoch 1: the rerun resumes it and skips the rest.
        let base = out.appendingPathComponent("checkpoints/\(names[0])")
        let before = try RunLog(directory: out.appendingPathComponent("logs/\(names[0])")).records[1]
        for f in ["checkpoint_2.safetensors", "checkpoint_2.optim.safetensors"] { try FileManager.default.removeItem(at: base.appendingPathComponent(f)) }
        let second = try runProcess(bv, ["experiments", "run", Self.guide.path] + set, in: data.dir.url)
        #expect(second.status == 0, "\(second.output.suffix(3000))")
        #expect(second.output.contains("base_v1_default: resumed after epoch 1"))
        #expect(second.output.components(separatedBy: ": already finished, skipped").count - 1 == 2 * 11)  // per run, and in the summary
        let after = try RunLog(directory: out.appendingPathComponent("logs/\(names[0])")).records
        #expect(after.map(\.epoch) == [1, 2] && after[1].metrics == before.metrics && after[1].trainLoss == before.trainLoss)

        // compare: the table, CSV and pictures, with the test metrics of the evaluated run.
        let stats = data.dir.file("stats")
        let eval = try runProcess(bv, ["eval", "--dataset", "batvisionv1", "--manifest", data.dir.file("manifest.json").path,
                                       "--cache_dir", data.dir.file("cache").path, "--images_size", "32", "--learning_rate", "0.001",
                                       "--batch_size", "8", "--experiment_name", "base_v1_default", "--output_dir", out.path,
                                       "--stat_dir", stats.path], in: data.dir.url)
        #expect(eval.status == 0, "\(eval.output)")
        let cmp = data.dir.file("cmp")
        let compared = try runProcess(bv, ["compare", "--logs", out.appendingPathComponent("logs").path, "--stat_dir", stats.path,
                                           "--out", cmp.path], in: data.dir.url)
        #expect(compared.status == 0, "\(compared.output)")
        let csv = try String(contentsOf: cmp.appendingPathComponent("runs.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = csv[0]
        #expect(csv.count == 14)  // the header, 12 runs and the constant predictor (one dataset: one row)
        for key in ["audio_format", "criterion", "learning_rate", "silog_lambda", "l1_weight", "silog_weight", "save_best_model"] {
            #expect(header.contains(key), "differing setting \(key) missing from \(header)")
        }
        #expect(!header.contains("ngf") && !header.contains("epochs"), "settings every run shares are not columns")
        func column(_ name: String, _ row: [String]) -> String { row[header.firstIndex(of: name) ?? 0] }
        let constant = try #require(csv.first { column("run", $0) == "constant predictor" })
        let recorded = try #require(try RunLog(directory: out.appendingPathComponent("logs/\(names[0])")).constantPredictor)
        #expect(column("val_rmse", constant) == "\(recorded.metrics["rmse"] ?? .nan)")
        for row in csv.dropFirst() where column("run", row) != "constant predictor" {
            let name = names.first { $0.hasSuffix("_" + column("run", row)) } ?? ""
            let log = try RunLog(directory: out.appendingPathComponent("logs/\(name)"))
            let best = try #require(log.bestEpoch(by: .rmse))
            #expect(column("best_epoch", row) == "\(best.epoch)" && column("val_rmse", row) == "\(best.metrics?["rmse"] ?? .nan)")
            #expect(column("test_rmse", row).isEmpty == (column("run", row) != "base_v1_default"))
        }
        let summary = try JSONCoding.decoder().decode(EvaluationSummary.self, from: Data(contentsOf: stats.appendingPathComponent("\(names[0])/epoch_0002_test_summary.json")))
        let baseRow = try #require(csv.first { column("run", $0) == "base_v1_default" })
        #expect(column("test_rmse", baseRow) == "\(summary.metrics["rmse"] ?? .nan)")
        // Every run's colour is drawn in the validation curves; the depth chart exists.
        let curves = try #require(RGBImage.decode(try Data(contentsOf: cmp.appendingPathComponent("validation_metrics.png"))))
        var colours = Set<String>()
        for y in 0..<curves.height { for x in 0..<curves.width { let c = curves[x, y]; colours.insert("\(c.0),\(c.1),\(c.2)") } }
        for s in 0..<10 { let c = LineChart.colour(s); #expect(colours.contains("\(c.0),\(c.1),\(c.2)"), "series \(s) not drawn") }
        // The depth chart: rmse per bin beside the pixels each bin holds (the summary's counts).
        let logs = try names.map { try RunLog(directory: out.appendingPathComponent("logs/\($0)")) }
        let depthChart = try #require(try RunComparison(logs: logs, statDir: stats, metric: .rmse).charts().first { $0.name == "depth_binned_rmse.png" }?.chart)
        let pixelPanel = try #require(depthChart.panels.last)
        let drawn = pixelPanel.series.filter { !$0.isEmpty }  // one run was evaluated
        #expect(pixelPanel.title == "test pixels per depth bin" && drawn.count == 1)
        #expect(drawn.first?.map(\.y) == summary.depthBins.map { Double($0.pixels) } && summary.depthBins.contains { $0.pixels > 0 })
        // Two runs evaluated on the same split hold the same counts: one line, said in the
        // title; a run whose counts differ gets its own line again.
        let secondStats = stats.appendingPathComponent(names[1])
        try FileManager.default.createDirectory(at: secondStats, withIntermediateDirectories: true)
        for change in [0, 1] {
            var copy = summary
            copy.depthBins[0].pixels += change
            try JSONCoding.encoder().encode(copy).write(to: secondStats.appendingPathComponent("epoch_0002_test_summary.json"))
            let chart = try #require(try RunComparison(logs: logs, statDir: stats, metric: .rmse).charts().first { $0.name == "depth_binned_rmse.png" }?.chart)
            let panel = try #require(chart.panels.last)
            #expect(panel.series.filter { !$0.isEmpty }.count == 1 + change && chart.panels.first?.series.filter { !$0.isEmpty }.count == 3)
            #expect(panel.title == (change == 0 ? "test pixels per depth bin (every run)" : "test pixels per depth bin"))
        }
        try FileManager.default.removeItem(at: secondStats)
        // --require_beating_constant (the demo's check that its matrix learns): a run whose
        // constant predictor cannot be beaten (rmse 0) is a finding, exit 1; one that any
        // model beats (rmse 1e9) passes.
        let rigged = data.dir.file("rigged")
        for (i, rmse) in [(0, 0.0), (1, 1e9)] {
            let folder = rigged.appendingPathComponent(names[i])
            try FileManager.default.createDirectory(at: rigged, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: out.appendingPathComponent("logs/\(names[i])"), to: folder)
            let file = folder.appendingPathComponent("constant_predictor.json")
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            var metrics = try #require(json["metrics"] as? [String: Any])
            metrics["rmse"] = rmse
            json["metrics"] = metrics
            try JSONSerialization.data(withJSONObject: json).write(to: file)
        }
        let strict = ["compare", "--require_beating_constant", "--out", data.dir.file("cmp2").path]
        let failing = try runProcess(bv, strict + [rigged.appendingPathComponent(names[0]).path, rigged.appendingPathComponent(names[1]).path])
        #expect(failing.status == 1 && failing.output.contains("finding    base_v1_default does not beat the constant predictor on validation rmse")
                && failing.output.components(separatedBy: "finding ").count == 2, "\(failing.output)")
        #expect(try runProcess(bv, strict + [rigged.appendingPathComponent(names[1]).path]).status == 0)
        for picture in ["loss.png", "depth_binned_rmse.png", "runs.md"] {
            #expect(FileManager.default.fileExists(atPath: cmp.appendingPathComponent(picture).path), "\(picture)")
        }
    }

    /// Without the W&B client: one line saying how to install it, and training goes on.
    @Test func withoutTheWandbClientTrainingGoesOn() throws {
        let data = try SmallDataset(samples: 8)
        defer { data.dir.cleanup() }
        let bin = data.dir.file("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("python3")
        try Data("#!/bin/sh\necho 'ModuleNotFoundError: No module named wandb' >&2\nexit 1\n".utf8).write(to: fake)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let bv = try batvisionExecutable()
        let common = ["--dataset", "batvisionv2", "--manifest", data.dir.file("manifest.json").path, "--cache_dir", data.dir.file("cache").path,
                      "--images_size", "32"]
        #expect(try runProcess(bv, ["featurize", "--quiet"] + common).status == 0)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = bin.path + ":/usr/bin:/bin"
        env["WANDB_MODE"] = "offline"
        let r = try runProcess(bv, ["train"] + common + ["--num_downs", "5", "--ngf", "4", "--epochs", "2", "--batch_size", "4",
                                                         "--output_dir", data.dir.file("out").path, "--use_wandb"], environment: env)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.components(separatedBy: "W&B: the W&B client is not installed for python3 (pip install wandb pillow); training goes on").count == 2)
        #expect(r.output.contains("epoch   2/2"))
    }

    @Test func wandbModeComesFromTheFlagThenWANDB_MODEThenConf() throws {
        func mode(_ flag: WandbMode?, _ env: [String: String]) throws -> (WandbMode, String?) {
            var r = try SettingsResolver(dataset: .batvisionv2, confDir: Fixtures.repository.appendingPathComponent("conf"), files: ["mode/train.yaml"])
            let m = try WandbOptions.mode(flag: flag, &r, environment: env)
            return (m, r.resolved.first { $0.key == "wandb_mode" }?.origin)
        }
        #expect(try mode(nil, [:]).0 == .online)
        #expect(try mode(nil, ["WANDB_MODE": "offline"]) == (.offline, "environment variable WANDB_MODE"))
        #expect(try mode(nil, ["WANDB_MODE": "dryrun"]).0 == .offline)
        #expect(try mode(.disabled, ["WANDB_MODE": "offline"]) == (.disabled, "command line"))
        #expect(throws: SettingError.self) { try mode(nil, ["WANDB_MODE": "sometimes"]) }
    }

    /// On a terminal, a progress line redrawn within each epoch.
    @Test func aTerminalGetsAProgressLine() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { Issue.record("needs script(1) from util-linux"); return }
        let data = try SmallDataset(samples: 14)
        defer { data.dir.cleanup() }
        let bv = try batvisionExecutable()
        let common = ["--dataset", "batvisionv2", "--manifest", data.dir.file("manifest.json").path, "--cache_dir", data.dir.file("cache").path,
                      "--images_size", "32"]
        #expect(try runProcess(bv, ["featurize", "--quiet"] + common).status == 0)
        let train = ([bv.path, "train"] + common + ["--num_downs", "5", "--ngf", "4", "--epochs", "2", "--batch_size", "2",
                                                    "--output_dir", data.dir.file("out").path]).joined(separator: " ")
        let tty = try runProcess(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", train, "/dev/null"])
        #expect(tty.status == 0, "\(tty.output)")
        #expect(tty.output.contains("\repoch 1/2  batch ") && tty.output.contains("ETA epoch") && tty.output.contains(" run "), "\(tty.output)")
        let plain = try runProcess(bv, ["train"] + common + ["--num_downs", "5", "--ngf", "4", "--epochs", "2", "--batch_size", "2",
                                                             "--output_dir", data.dir.file("out2").path])
        #expect(plain.status == 0 && !plain.output.contains("\r") && plain.output.contains("epoch   2/2"))
    }

    @Test func progressFiguresAndTheDivergenceAdvice() {
        let p = TrainingProgress(epoch: 2, epochs: 5, batch: 10, batches: 40, samples: 320, seconds: 4, meanLoss: 0.25, secondsPerEpoch: 20)
        #expect(p.samplesPerSecond == 80 && p.epochRemaining == 12 && p.runRemaining == 12 + 3 * 20)
        #expect(p.line == "epoch 2/5  batch 10/40  80 samples/s  loss 0.2500  ETA epoch 0:12  run 1:12")
        #expect(TrainingProgress.clock(3725) == "1:02:05" && TrainingProgress.clock(.nan) == "?")
        let advice = TrainError.diverged(epoch: 3, batch: 7, loss: .nan, learningRate: 0.002).description
        #expect(advice.contains("epoch 3, batch 7") && advice.contains("--learning_rate 0.001 (half of 0.002)"))
    }
}
