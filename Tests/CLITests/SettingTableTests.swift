import ArgumentParser
import Foundation
import Testing
import TestSupport
@testable import BatvisionCLI

/// The one table of settings: every flag, conf key, built-in default, `--help` line and
/// Python's view comes from it, and each rule lives on a domain type.
@Suite struct SettingTableTests {
    /// Python reads settings.json; it must be what the table prints.
    @Test func pythonsCopyIsTheTable() throws {
        let shipped = try Data(contentsOf: Fixtures.repository.appendingPathComponent("python/batvision_cache/settings.json"))
        #expect(shipped == (try SettingsCommand.json()),
                "python/batvision_cache/settings.json is stale: run `batvision settings --json > python/batvision_cache/settings.json`")
    }

    /// Each command's flags are exactly its settings, plus flags that are no setting.
    @Test(arguments: [(SettingCommand.featurize, ["dataset_dir", "conf_dir", "force", "flush_every", "quiet", "shard", "print_cache_dir"]),
                      (.train, ["dataset_dir", "conf_dir", "overwrite"]),
                      (.eval, ["dataset_dir", "conf_dir", "best", "checkpoint", "run", "save_predictions", "quiet"]),
                      (.ingest, ["manifest", "conf_dir", "strict", "quiet"])])
    func eachCommandsFlagsAreItsSettings(_ command: SettingCommand, others: [String]) throws {
        let help: String
        switch command {
        case .featurize: help = FeaturizeCommand.helpMessage(columns: 1000)
        case .train: help = TrainCommand.helpMessage(columns: 1000)
        case .eval: help = EvalCommand.helpMessage(columns: 1000)
        default: help = IngestCommand.helpMessage(columns: 1000)
        }
        let pattern = try NSRegularExpression(pattern: "^\\s+--(?:\\[no_\\])?([a-z0-9_]+)", options: .anchorsMatchLines)
        let flags = Set(pattern.matches(in: help, range: NSRange(help.startIndex..., in: help)).compactMap {
            Range($0.range(at: 1), in: help).map { String(help[$0]) }
        }).subtracting(["help", "version"])
        let settings = Set(SettingTable.all.filter { $0.commands.contains(command) }.map(\.key))
        #expect(flags == settings.union(others), "\(command): flags not in the table \(flags.subtracting(settings.union(others)).sorted()), settings without a flag \(settings.subtracting(flags).sorted())")
        // Each setting's help line is the table's, with its default.
        for spec in SettingTable.all where spec.commands.contains(command) && !spec.isRequired {
            #expect(help.contains(spec.help(for: command) + " " + spec.defaultsPhrase), "\(command) --\(spec.key)")
        }
    }

    /// Conf keys and built-in defaults are the table's; every key is unique.
    @Test func confKeysAndDefaultsComeFromTheTable() throws {
        let keys = SettingTable.all.map(\.key)
        #expect(Set(keys).count == keys.count)
        #expect(SettingTable.confKeys == Set(keys))
        #expect(SettingTable.builtIn(.batvisionv1)["learning_rate"] == "0.001" && SettingTable.builtIn(.batvisionv2)["batch_size"] == "256")
        // Every built-in default parses as its setting's type and passes the domain's rules.
        let (c, _) = try TrainCommand.parse(["--dataset", "batvisionv2", "--conf_dir", try emptyFolder().path, "--manifest", "m.json"]).resolve()
        #expect(c.epochs == 80 && c.loss.l1Weight == 0.237 && c.model.numDowns == 8 && c.feature.imagesSize == 256)
    }

    func emptyFolder() throws -> URL {
        let dir = try TemporaryFolder("noconf")
        return dir.url
    }

    /// A rule is checked once, by the domain type; the error says where the value came
    /// from: the flag (a usage error) or the conf file and its line.
    @Test func aRefusedValueNamesWhereItCameFrom() throws {
        let dir = try TemporaryFolder("origin")
        defer { dir.cleanup() }
        let conf = dir.file("conf")
        try FileManager.default.createDirectory(at: conf.appendingPathComponent("mode"), withIntermediateDirectories: true)
        try Data("# runs\nepochs: 5\nprediction_samples: 65\n".utf8).write(to: conf.appendingPathComponent("mode/train.yaml"))
        do {
            _ = try TrainCommand.parse(["--dataset", "batvisionv2", "--conf_dir", conf.path, "--manifest", "m.json"]).resolve()
            Issue.record("accepted")
        } catch let error as SettingError {
            #expect(!error.isUsageError && error.description == "prediction_samples = '65' (from \(conf.path)/mode/train.yaml:3): expected a value from 0 to 64", "\(error)")
        }
        do {
            _ = try EvalCommand.parse(["--dataset", "batvisionv2", "--conf_dir", conf.path, "--manifest", "m.json", "--min_depth", "2000"]).resolve()
            Issue.record("accepted")
        } catch let error as SettingError {
            #expect(error.isUsageError && error.description.contains("min_depth = '2000.0' (from command line)"), "\(error)")
        }
    }
}
