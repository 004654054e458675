import ArgumentParser
import Foundation
import Testing
import TestSupport
@testable import BatvisionCLI

/// Conf files and flags resolved once, at the command line, into typed settings.
@Suite struct SettingsTests {
    /// A conf folder with the repository's files, optionally with one file replaced.
    func confFolder(_ dir: TemporaryFolder, replacing rel: String? = nil, with text: String = "") throws -> URL {
        let conf = dir.file("conf-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(at: Fixtures.repository.appendingPathComponent("conf"), to: conf)
        if let rel { try Data(text.utf8).write(to: conf.appendingPathComponent(rel)) }
        return conf
    }

    @Test func flagsWinOverConfFilesWhichWinOverDefaults() throws {
        let dir = try TemporaryFolder("settings")
        defer { dir.cleanup() }
        let conf = try confFolder(dir, replacing: "mode/train.yaml", with: "epochs: 7\nsave_best_model: true\nuse_wandb: true\n")
        let command = try TrainCommand.parse(["--dataset", "batvisionv2", "--conf_dir", conf.path, "--criterion", "L1",
                                              "--no_save_best_model", "--no_use_wandb", "--manifest", "m.json"])
        let (c, settings) = try command.resolve()
        #expect(c.epochs == 7 && c.loss.criterion == .L1 && c.learningRate == 0.002 && c.batchSize == 256)
        #expect(c.saveBestModel == false && c.wandb.enabled == false, "a flag turns off a conf file's true")
        func origin(_ key: String) -> String? { settings.first { $0.key == key }?.origin }
        // A conf file's value comes with its line.
        #expect(origin("epochs") == conf.appendingPathComponent("mode/train.yaml").path + ":1")
        #expect(origin("criterion") == "command line" && origin("save_best_model") == "command line")
        let line = try #require(try String(contentsOf: conf.appendingPathComponent("dataset/batvisionv2.yaml"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("learning_rate:") })
        #expect(origin("learning_rate") == conf.appendingPathComponent("dataset/batvisionv2.yaml").path + ":\(line + 1)")
        #expect(settings.first { $0.key == "epochs" }?.value == "7")
    }

    @Test func theModelConfNameNamesTheRun() throws {
        let dir = try TemporaryFolder("settings")
        defer { dir.cleanup() }
        let conf = try confFolder(dir, replacing: "model/unet_baseline.yaml", with: "name: unet_wide\ngenerator: unet_128\nngf: 32\n")
        let (c, _) = try TrainCommand.parse(["--dataset", "batvisionv1", "--conf_dir", conf.path, "--manifest", "m.json"]).resolve()
        #expect(c.runName == "unet_wide_batvisionv1_BS128_Lr0.001_AdamW_default")
        #expect(c.model.numDowns == 7 && c.model.ngf == 32 && c.model.depthNorm)
    }

    @Test func badConfValuesNameTheFileAndTheKey() throws {
        let dir = try TemporaryFolder("settings")
        defer { dir.cleanup() }
        let conf = try confFolder(dir, replacing: "mode/train.yaml", with: "criterion: L2\n")
        do {
            _ = try TrainCommand.parse(["--dataset", "batvisionv2", "--conf_dir", conf.path, "--manifest", "m.json"]).resolve()
            Issue.record("expected an error")
        } catch let error as SettingError {
            #expect(!error.isUsageError)
            #expect(error.description.contains("criterion = 'L2'") && error.description.contains("mode/train.yaml")
                    && error.description.contains("L1, SIlog, Combined"), "\(error)")
        }
        let typo = try confFolder(dir, replacing: "mode/train.yaml", with: "epoch: 3\n")
        #expect(throws: SettingError.self) {
            _ = try TrainCommand.parse(["--dataset", "batvisionv2", "--conf_dir", typo.path, "--manifest", "m.json"]).resolve()
        }
        do {
            _ = try SettingsResolver(dataset: .batvisionv2, confDir: typo, files: ["mode/train.yaml"])
        } catch let error as SettingError {
            #expect(error.description.contains("unknown setting 'epoch'") && error.description.contains("did you mean 'epochs'"), "\(error)")
        }
    }

    @Test func outOfRangeFlagsAreUsageErrors() throws {
        for args in [["--num_downs", "64"], ["--ngf", "100000"], ["--threads", "0"], ["--learning_rate", "nan"], ["--epochs", "0"]] {
            do {
                _ = try TrainCommand.parse(["--dataset", "batvisionv2", "--manifest", "m.json"] + args).resolve()
                Issue.record("\(args) was accepted")
            } catch let error as SettingError {
                #expect(error.isUsageError && error.description.contains(args[0].dropFirst(2)), "\(error)")
            }
        }
        #expect(throws: (any Error).self) { _ = try TrainCommand.parse(["--dataset", "batvisionv2", "--criterion", "L2"]) }
    }

    @Test func evalTakesTheRunsIdentityNotItsTrainingSettings() throws {
        let help = EvalCommand.helpMessage()
        for trainingOnly in ["--epochs", "--criterion", "--num_downs", "--ngf", "--silog_lambda", "--use_wandb", "--shuffle", "--save_best_model"] {
            #expect(!help.contains(trainingOnly), "eval --help lists \(trainingOnly)")
        }
        for evaluation in ["--experiment_name", "--checkpoints", "--best", "--checkpoint", "--eval_on", "--stat_dir", "--depth_bin"] {
            #expect(help.contains(evaluation), "eval --help lacks \(evaluation)")
        }
        #expect(help.contains("Evaluate the run's checkpoint of epoch N") && !help.contains("Resume"))
        let c = try EvalCommand.parse(["--dataset", "batvisionv1", "--learning_rate", "0.001", "--batch_size", "128",
                                       "--experiment_name", "x", "--checkpoints", "3", "--manifest", "m.json"]).resolve()
        #expect(c.runName == "unet_baseline_batvisionv1_BS128_Lr0.001_AdamW_x" && c.checkpoint == .epoch(3) && c.splits == [.test])
    }

    /// Discussions are paragraphs the parser wraps: no hand-made line breaks inside one
    /// (they came out ragged), except indented example lines.
    @Test func helpParagraphsAreNotWrappedByHand() {
        let commands: [any ParsableCommand.Type] = [Batvision.self, SynthCommand.self, IngestCommand.self, FeaturizeCommand.self,
                                                    TrainCommand.self, EvalCommand.self, ValidateCommand.self]
        for command in commands {
            for paragraph in command.configuration.discussion.components(separatedBy: "\n\n") {
                let lines = paragraph.split(separator: "\n")
                let prose = lines.filter { !$0.hasPrefix(" ") }
                #expect(prose.count <= 1, "\(command): a paragraph wrapped by hand: \(paragraph)")
            }
        }
    }

    /// Conf YAML is composed, not expanded: nested aliases ("billion laughs") and huge keys
    /// are refused at once, by name and clipped.
    @Test func hostileConfFilesAreRefusedQuickly() throws {
        let keys = ["experiment_name", "epochs", "optimizer", "criterion", "l1_weight", "silog_weight", "silog_lambda",
                    "clip_grad_norm", "validation", "validation_iter", "saving_checkpoints", "save_best_model", "best_metric"]
        var laughs = "\(keys[0]): &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<keys.count {
            laughs += "\(keys[level]): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let start = Date()
        #expect(throws: SettingError.self) { _ = try ConfFile.parse(laughs, path: "laughs.yaml") }
        #expect(Date().timeIntervalSince(start) < 5)
        let longKey = String(repeating: "k", count: 5_000_000)
        do {
            _ = try ConfFile.parse("\(longKey): 1\n", path: "long.yaml")
            Issue.record("accepted")
        } catch let error as SettingError {
            #expect(error.description.count < 400 && error.description.contains("bytes)"), "\(error.description.prefix(200))")
        }
        #expect(try ConfFile.parse("epochs: 3\nlocation_blacklist: [a, b]\nwandb_entity:\n", path: "ok.yaml") == ["epochs": "3", "location_blacklist": "a,b", "wandb_entity": ""])
    }
}
