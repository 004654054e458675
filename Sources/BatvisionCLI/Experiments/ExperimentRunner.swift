import ArgumentParser
import Cache
import Eval
import Foundation
import Support
import Train

/// Runs a plan's runs in order as `batvision train` would, each featurized first when its
/// cache is missing; a finished run is skipped, an interrupted one resumes from its last
/// checkpoint, and a failed one is reported and the next goes on.
struct ExperimentRunner {
    /// One run of the plan, resolved: its train command and typed configuration.
    struct Prepared {
        var run: ExperimentPlan.Run
        var arguments: [String]
        var command: TrainCommand
        var config: TrainingConfig
        var settings: [ResolvedSetting]
    }

    enum State: Equatable {
        case new
        case resume(after: Int)
        case finished(epochs: Int)
    }

    enum Outcome: Equatable {
        case trained, resumed(after: Int), skipped, failed(String)

        var text: String {
            switch self {
            case .trained: return "trained"
            case let .resumed(n): return "resumed after epoch \(n)"
            case .skipped: return "already finished, skipped"
            case let .failed(reason): return "FAILED: \(reason)"
            }
        }
    }

    let plan: ExperimentPlan
    let path: String
    var overrides: [SettingOverride] = []

    /// The `batvision train` arguments of a run, overrides applied.
    func arguments(_ run: ExperimentPlan.Run) -> [String] {
        overrides.reduce(run.flags) { $1.apply(to: $0) }
    }

    /// Every run parsed and resolved before any work: a bad flag or value, or two runs that
    /// would share a run name (and so its folders), stops the plan naming the run.
    func prepare(_ runs: [ExperimentPlan.Run]) throws -> [Prepared] {
        var prepared: [Prepared] = []
        var owners: [String: String] = [:]
        for run in runs {
            let args = arguments(run)
            let command: TrainCommand
            do { command = try TrainCommand.parse(args) } catch {
                throw PlanError(path: path, run: run.name, reason: TrainCommand.message(for: error))
            }
            let (config, settings): (TrainingConfig, [ResolvedSetting])
            do { (config, settings) = try command.resolve() } catch {
                throw PlanError(path: path, run: run.name, reason: plainReason(error))
            }
            guard FileManager.default.fileExists(atPath: config.manifest.path) else {
                throw PlanError(path: path, run: run.name, reason: "no manifest \(config.manifest.path): run `batvision ingest --dataset \(config.feature.dataset.rawValue) --dataset_dir DIR` first (or --set manifest=FILE)")
            }
            let dir = RunDirectories(outputDir: config.outputDir, runName: config.runName).checkpoints.path
            if let other = owners[dir] {
                throw PlanError(path: path, run: run.name, reason: "trains into the same folder as run '\(other)' (\(dir)); give it another --experiment_name, or do not --set what tells them apart")
            }
            owners[dir] = run.name
            prepared.append(Prepared(run: run, arguments: args, command: command, config: config, settings: settings))
        }
        return prepared
    }

    /// Where a run stands: by its checkpoints (the last epoch always gets one).
    static func state(of config: TrainingConfig) -> State {
        guard let last = RunDirectories(outputDir: config.outputDir, runName: config.runName).checkpointEpochs.max() else { return .new }
        return last >= config.epochs ? .finished(epochs: last) : .resume(after: last)
    }

    /// Trains one run (featurizing first if needed) and says how it went.
    func perform(_ p: Prepared) -> Outcome {
        var config = p.config
        var settings = p.settings
        let state = Self.state(of: config)
        do {
            switch state {
            case .finished: return .skipped
            case let .resume(after):
                config.resumeEpoch = after
                settings.removeAll { $0.key == "checkpoints" }
                settings.append(ResolvedSetting(key: "checkpoints", value: "\(after)", origin: "experiments run (resume)"))
            case .new: break
            }
            try ensureCache(p.command, config)
            _ = try TrainingSession(config: config, settings: settings, overwrite: false).run()
            if case let .resume(after) = state { return .resumed(after: after) }
            return .trained
        } catch {
            return .failed(plainReason(error))
        }
    }

    /// Featurizes the run's cache when it does not exist yet (a finished one is reused).
    func ensureCache(_ command: TrainCommand, _ config: TrainingConfig) throws {
        let (manifest, root) = try command.data.manifestAndRoot(config.manifest)
        let location = CacheLocation(cacheDir: config.cacheDir, config: config.feature, manifestDigest: manifest.digest)
        guard !FileManager.default.fileExists(atPath: location.file.path) else { return }
        print("featurizing \(config.feature.audioFormat.rawValue), images_size \(config.feature.imagesSize) into \(location.directory.path)")
        var featurizer = Featurizer(manifest: manifest, root: root, config: config.feature, cacheDir: config.cacheDir)
        featurizer.showProgress = isatty(STDERR_FILENO) != 0
        featurizer.parallelism = config.threads
        featurizer.manifestPath = config.manifest.path
        _ = try featurizer.run(force: false)
    }
}

/// A plan that cannot run as written, naming the file and the run.
struct PlanError: ReportableError {
    let path: String, run: String, reason: String
    var description: String { "\(path): run '\(run)': \(reason)" }
}

extension TrainCommand {
    /// ArgumentParser's message for a bad train command line, without the usage block.
    static func message(for error: Error) -> String {
        fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    }
}
