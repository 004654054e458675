import Foundation
import Ingest
import Model
import Testing
import TestSupport
@testable import Train

/// What a researcher coming from the official baseline sees: results that cannot mislead,
/// and the baseline's habits (issue "what a researcher sees").
@Suite struct ResearcherTests: SmallDatasetSuite {
    let bv: URL
    let data: SmallDataset

    func run(_ args: [String], in dir: URL? = nil, environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        try runProcess(bv, args, in: dir, environment: environment)
    }

    var common: [String] {
        ["--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", data.dir.file("cache").path, "--conf_dir", conf,
         "--images_size", "32", "--audio_format", "spectrogram"]
    }

    func train(_ extra: [String] = []) throws -> (status: Int32, output: String) {
        try run(["train"] + common + ["--num_downs", "5", "--ngf", "4", "--epochs", "2", "--batch_size", "4", "--saving_checkpoints", "1",
                                      "--validation_iter", "1", "--experiment_name", "r", "--output_dir", data.dir.file("runs").path] + extra)
    }

    var runName: String { "unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_r" }

    /// Train on one dataset, test on another: a given --manifest is what eval evaluates
    /// (with the checkpoint's feature settings), and the console names it.
    @Test func evalEvaluatesTheManifestItIsGiven() throws {
        defer { data.dir.cleanup() }
        #expect(try run(["featurize", "--quiet"] + common).status == 0)
        #expect(try train().status == 0)
        // A second dataset of other rooms, featurized with the same settings.
        let other = data.dir.file("other"), otherManifest = data.dir.file("other.json").path
        #expect(try run(["synth", "--dataset", "batvisionv2", "--out", other.path, "--samples", "12", "--seed", "99",
                         "--depth_height", "36", "--depth_width", "64"]).status == 0)
        #expect(try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", other.path, "--manifest", otherManifest, "--quiet"]).status == 0)
        let evalArgs = ["eval", "--run", data.dir.file("runs/checkpoints/\(runName)").path, "--dataset", "batvisionv2", "--conf_dir", conf,
                        "--cache_dir", data.dir.file("cache").path, "--stat_dir", data.dir.file("stats").path]
        let own = try run(evalArgs)
        let ownDigest = try Manifest.load(from: URL(fileURLWithPath: manifest)).digest
        #expect(own.status == 0 && own.output.contains("manifest digest \(ownDigest.prefix(16))"), "\(own.output)")
        // Not featurized yet: the featurize command for the other manifest, not the training data.
        let missing = try run(evalArgs + ["--manifest", otherManifest])
        #expect(missing.status == 2 && missing.output.contains("batvision featurize") && missing.output.contains(otherManifest), "\(missing.output)")
        #expect(try run(["featurize", "--quiet", "--dataset", "batvisionv2", "--manifest", otherManifest, "--cache_dir", data.dir.file("cache").path,
                         "--conf_dir", conf, "--images_size", "32", "--audio_format", "spectrogram"]).status == 0)
        let given = try run(evalArgs + ["--manifest", otherManifest])
        let otherDigest = try Manifest.load(from: URL(fileURLWithPath: otherManifest)).digest
        #expect(given.status == 0 && given.output.contains("manifest digest \(otherDigest.prefix(16))")
                && given.output.contains("as asked; the checkpoint was trained on"), "\(given.output)")
    }

    /// `train --overwrite` trains the run again: its earlier test evaluation is not shown as
    /// its result by `compare` (it is named as ignored).
    @Test func compareIgnoresTestResultsOfAnEarlierTraining() throws {
        defer { data.dir.cleanup() }
        #expect(try run(["featurize", "--quiet"] + common).status == 0)
        #expect(try train().status == 0)
        let stats = data.dir.file("stats")
        #expect(try run(["eval", "--run", runName, "--output_dir", data.dir.file("runs").path, "--dataset", "batvisionv2", "--conf_dir", conf,
                         "--cache_dir", data.dir.file("cache").path, "--stat_dir", stats.path]).status == 0)
        func compared() throws -> String {
            let r = try run(["compare", data.dir.file("runs/logs/\(runName)").path, "--stat_dir", stats.path, "--out", data.dir.file("cmp").path])
            #expect(r.status == 0, "\(r.output)")
            return try String(contentsOf: data.dir.file("cmp/runs.csv"), encoding: .utf8)
        }
        let header = try compared().split(separator: "\n")[0].split(separator: ",").map(String.init)
        let testColumn = try #require(header.firstIndex(of: "test_rmse"))
        let before = try compared().split(separator: "\n")[1].split(separator: ",", omittingEmptySubsequences: false)
        #expect(!before[testColumn].isEmpty)
        #expect(try train(["--overwrite"]).status == 0)
        let r = try run(["compare", data.dir.file("runs/logs/\(runName)").path, "--stat_dir", stats.path, "--out", data.dir.file("cmp").path])
        let row = try String(contentsOf: data.dir.file("cmp/runs.csv"), encoding: .utf8).split(separator: "\n")[1]
            .split(separator: ",", omittingEmptySubsequences: false)
        #expect(row[testColumn].isEmpty && r.output.contains("test metrics of an earlier training ignored"), "\(r.output)")
    }

    /// A blacklisted name that is no location (a wrong case) is an error listing the locations.
    @Test func aBlacklistNameThatIsNoLocationIsAnError() throws {
        defer { data.dir.cleanup() }
        let locations = Set(data.manifest.samples.compactMap(\.location)).sorted()
        let wrong = locations[0].uppercased()
        let r = try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--manifest", data.dir.file("m2.json").path,
                         "--location_blacklist", wrong])
        #expect(r.status == 2 && r.output.contains("'\(wrong)' (did you mean '\(locations[0])'?)") && locations.allSatisfy { r.output.contains($0) }, "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: data.dir.file("m2.json").path))
    }

    /// The memory estimate is above what training really holds (peak RSS of a run that
    /// trains, validates and saves its checkpoints), over several shapes; a batch larger
    /// than the split is spoken of as asked.
    @Test func theMemoryEstimateCoversWhatTrainingHolds() throws {
        defer { data.dir.cleanup() }
        for size in [32, 64] {
            #expect(try run(["featurize", "--quiet", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", data.dir.file("cache").path,
                             "--conf_dir", conf, "--images_size", "\(size)", "--audio_format", "spectrogram"]).status == 0)
        }
        for (ngf, downs, size, batch) in [(8, 5, 32, 4), (32, 5, 64, 8), (64, 5, 32, 2), (16, 6, 64, 4)] {
            let args = ["train", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", data.dir.file("cache").path, "--conf_dir", conf,
                        "--images_size", "\(size)", "--audio_format", "spectrogram", "--ngf", "\(ngf)", "--num_downs", "\(downs)",
                        "--batch_size", "\(batch)", "--epochs", "1", "--saving_checkpoints", "1", "--threads", "2",
                        "--experiment_name", "mem\(ngf)_\(downs)_\(size)", "--output_dir", data.dir.file("mem").path]
            let measured = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
                import resource, subprocess, sys
                r = subprocess.run(sys.argv[1:], capture_output=True)
                print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
                """, bv.path] + args)
            let fields = measured.output.split(whereSeparator: \.isWhitespace)
            #expect(fields.count == 2 && fields[0] == "0", "\(measured.output)")
            let peak = Double(fields.last.flatMap { Int($0) } ?? 0) * 1024
            let model = UNetConfig(numDowns: downs, ngf: ngf, depthNorm: false)
            let estimate = TrainingMemory.estimate(model: model, batch: batch, size: size, sampleFloats: 3 * size * size)
            #expect(estimate >= peak, "ngf \(ngf), \(downs) levels, \(size) px, batch \(batch): estimate \(Int(estimate / 1e6)) MB, peak \(Int(peak / 1e6)) MB")
        }
        do {
            try TrainingMemory.check(model: UNetConfig(numDowns: 6, ngf: 384, depthNorm: false), batch: 4000, trainSamples: 9,
                                     size: 256, sampleFloats: 3 * 256 * 256, available: 4e9)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("on batch 4000 (a step holds the training split's 9 samples)"), "\(error)")
        }
    }

    /// A fresh start of a run name leaves no earlier attempt's event files (TensorBoard
    /// would mix the two runs).
    @Test func aFreshRunLeavesNoEarlierEventFiles() throws {
        defer { data.dir.cleanup() }
        #expect(try run(["featurize", "--quiet"] + common).status == 0)
        let logs = data.dir.file("runs/logs/\(runName)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try Data("an attempt killed before its first checkpoint".utf8).write(to: logs.appendingPathComponent("events.out.tfevents.1.old"))
        try Data("notes".utf8).write(to: logs.appendingPathComponent("my-notes.txt"))
        #expect(try train().status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: logs.path)
        #expect(files.filter { $0.hasPrefix("events.out.tfevents.") }.count == 1 && !files.contains("events.out.tfevents.1.old")
                && files.contains("my-notes.txt"), "\(files)")
    }

    /// --save_predictions: every map and its metrics in one HDF5 file a figure can be made
    /// from; --run names the run (a name or its folder); "no checkpoints" lists the runs.
    @Test func evalSavesPredictionsAndFindsRunsByName() throws {
        defer { data.dir.cleanup() }
        #expect(try run(["featurize", "--quiet"] + common).status == 0)
        #expect(try train().status == 0)
        let stats = data.dir.file("stats")
        let r = try run(["eval", "--run", runName, "--output_dir", data.dir.file("runs").path, "--dataset", "batvisionv2", "--conf_dir", conf,
                         "--cache_dir", data.dir.file("cache").path, "--stat_dir", stats.path, "--save_predictions", "--eval_on", "both"])
        #expect(r.status == 0, "\(r.output)")
        let file = stats.appendingPathComponent("\(runName)/epoch_0002_val+test_predictions.h5")
        let check = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import csv, sys, h5py, numpy as np
            f = h5py.File(sys.argv[1], "r")
            rows = list(csv.DictReader(open(sys.argv[2])))
            assert f.attrs["complete"] == 1 and f["gt"].shape == f["pred"].shape == (len(rows), 1, 32, 32), f["gt"].shape
            ids = [s.decode() for s in f["sample"][:]]
            assert ids == [r["sample"] for r in rows], (ids, rows[:2])
            for name in ("rmse", "abs_rel", "delta1"):
                assert np.allclose(f["metrics/" + name][:], [float(r[name]) for r in rows], rtol=1e-6), name
            print("ok", len(rows))
            """, file.path, stats.appendingPathComponent("\(runName)/epoch_0002_val+test_per_sample.csv").path])
        #expect(check.status == 0 && check.output.hasPrefix("ok"), "\(check.output)")
        // `sheet` draws a paper's figure from it: the samples named, in that order.
        let ids = String(check.output.dropFirst(3)).trimmingCharacters(in: .whitespacesAndNewlines)
        let idList = try String(contentsOf: stats.appendingPathComponent("\(runName)/epoch_0002_val+test_per_sample.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(Int(ids) == idList.count && idList.count >= 3)
        let figure = data.dir.file("figure")
        let two = try run(["sheet", "--predictions", file.path, "--samples", idList[2], idList[0], "--out", figure.path])
        #expect(two.status == 0 && two.output.contains("sheet: 2 of \(idList.count) samples"), "\(two.output)")
        let three = try run(["sheet", "--predictions", file.path, "--rows", "3", "--out", figure.path + "3", "--png_only"])
        #expect(three.status == 0 && !FileManager.default.fileExists(atPath: figure.path + "3.svg"), "\(three.output)")
        let png2 = try #require(RGBImage.decode(try Data(contentsOf: figure.appendingPathExtension("png"))))
        let png3 = try #require(RGBImage.decode(try Data(contentsOf: URL(fileURLWithPath: figure.path + "3.png"))))
        #expect(FileManager.default.fileExists(atPath: figure.appendingPathExtension("pdf").path))
        #expect(Double(png3.height) / 2 > Double(png2.height) / 4)  // 3 rows at 2 px/pt vs 2 rows at 4 px/pt
        let unknown = try run(["sheet", "--predictions", file.path, "--samples", "nope/000", "--out", figure.path])
        #expect(unknown.status == 2 && unknown.output.contains("no sample 'nope/000'") && unknown.output.contains(file.path), "\(unknown.output)")
        let notAnArchive = try run(["sheet", "--predictions", data.dir.file("cache").path + "/nothing.h5", "--out", figure.path])
        #expect(notAnArchive.status == 2, "\(notAnArchive.output)")
        // A file that lies about its maps: refused before anything is drawn, saying what was expected.
        let bad = data.dir.file("bad.h5")
        let made = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f["gt"] = np.zeros((2, 1, 4, 5), np.float32); f["pred"] = np.zeros((2, 1, 4, 5), np.float32)
                f["sample"] = np.array([b"a", b"b"], "S1"); f.attrs["complete"] = np.int64(1)
            """, bad.path])
        #expect(made.status == 0, "\(made.output)")
        let lying = try run(["sheet", "--predictions", bad.path, "--out", figure.path])
        #expect(lying.status == 2 && lying.output.contains("expected [N, 1, S, S]"), "\(lying.output)")
        let none = try run(["eval", "--run", "no_such_run", "--output_dir", data.dir.file("runs").path, "--dataset", "batvisionv2",
                            "--conf_dir", conf, "--cache_dir", data.dir.file("cache").path])
        #expect(none.status == 2 && none.output.contains("\(runName) (epochs 1, 2)"), "\(none.output)")
    }

    /// The baseline's conf keys with their meaning; a seed other than 0 in the run name;
    /// conf files found from a subfolder (or BATVISION_HOME), never silently skipped.
    @Test func baselineHabitsAndRunsFromAnyFolder() throws {
        defer { data.dir.cleanup() }
        #expect(try run(["featurize", "--quiet"] + common).status == 0)
        let confDir = data.dir.file("project/conf")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: conf), to: confDir)
        try Data("epochs: 2\nvalidation_iter: 1\nvalidation_display: 1\nprint_tensorboard: 2\nnum_threads: 0\n".utf8)
            .write(to: confDir.appendingPathComponent("mode/train.yaml"))
        let sub = data.dir.file("project/a/b")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let args = ["train", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", data.dir.file("cache").path, "--images_size", "32",
                    "--audio_format", "spectrogram", "--num_downs", "5", "--ngf", "4", "--batch_size", "4", "--seed", "7"]
        let r = try run(args, in: sub)
        #expect(r.status == 0, "\(r.output)")
        let runFolder = data.dir.file("project/logs/unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_default_seed7")
        let config = try String(contentsOf: runFolder.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(config.contains("num_threads: 0  # \(confDir.path)/mode/train.yaml:5") && config.contains("print_tensorboard: 2"), "\(config)")
        // --help shows what the project's conf files set (ArgumentParser wraps the lines).
        let help = try run(["train", "--help"], in: sub).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("Epochs to train. (1 to 100000; default 80; conf 2 in \(confDir.path)/mode/train.yaml)"), "\(help)")
        #expect(!help.contains("--learning_rate <learning_rate> Learning rate. (a positive number up to 10.0; default 0.001 for batvisionv1, 0.002 for batvisionv2; conf"))
        // Outside any project, and no BATVISION_HOME: said, not silent.
        let outside = try run(["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--print_cache_dir"], in: data.dir.url)
        #expect(outside.output.contains("no conf folder"), "\(outside.output)")
        var env = ProcessInfo.processInfo.environment
        env["BATVISION_HOME"] = data.dir.file("project").path
        let home = try run(["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--print_cache_dir"], in: data.dir.url, environment: env)
        #expect(!home.output.contains("no conf folder"), "\(home.output)")
    }
}
