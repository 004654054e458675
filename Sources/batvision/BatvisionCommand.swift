import ArgumentParser
import Foundation

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
        subcommands: [SynthCommand.self, IngestCommand.self, FeaturizeCommand.self, ValidateCommand.self, BenchCommand.self])
}

/// Prints to stderr.
func warn(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
