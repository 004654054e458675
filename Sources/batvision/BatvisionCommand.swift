import ArgumentParser
import Cache
import Foundation
import Ingest
import Train

@main
struct Batvision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batvision",
        abstract: "Echo-to-depth research on the Batvision datasets: ingest, featurize, train, evaluate.",
        discussion: """
        A typical session on a synthetic dataset:
          batvision synth --dataset batvisionv2 --out data/synth-v2 --samples 200
          batvision ingest --dataset batvisionv2 --dataset_dir data/synth-v2
          batvision validate --dataset_dir data/synth-v2 --manifest data-manifests/batvisionv2-synth-v2.json
          batvision featurize --dataset batvisionv2 --manifest data-manifests/batvisionv2-synth-v2.json
        """,
        subcommands: [SynthCommand.self, IngestCommand.self, FeaturizeCommand.self, TrainCommand.self, EvalCommand.self, ValidateCommand.self, BenchCommand.self])

    /// Exit status: 0 success, 1 findings (problems, changed files), 2 errors that stopped
    /// the command (bad data, bad settings), 64 usage errors.
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)  // progress lines reach a log file as they happen
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as IngestError {
            fail(error.description)
        } catch let error as CacheError {
            fail(error.description)
        } catch let error as HDF5Error {
            fail(error.description)
        } catch let error as TrainError {
            fail(error.description)
        } catch {
            exit(withError: error)
        }
    }

    static func fail(_ message: String) -> Never {
        warn("error: \(message)")
        Foundation.exit(2)
    }
}

/// Prints to stderr.
func warn(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
