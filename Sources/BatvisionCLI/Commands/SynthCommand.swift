import ArgumentParser
import Foundation
import Ingest

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic Batvision dataset (simulated rooms, depth camera and chirp echoes).",
        discussion: "The files have exactly the real V1 or V2 on-disk format. The same options and seed give byte-identical files.")

    @Option(name: .customLong("dataset"), help: "batvisionv1 or batvisionv2.")
    var dataset: DatasetKind

    @Option(name: .customLong("out"), help: "Folder to write (must be empty or absent).")
    var out: String

    @Option(name: .customLong("seed"), help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("samples"), help: "Number of samples (1 to 1,000,000).")
    var samples: Int = 200

    @Option(name: .customLong("depth_height"), help: "Depth map height, 8 to 4096 (default: V2 720, V1 480).")
    var depthHeight: Int?

    @Option(name: .customLong("depth_width"), help: "Depth map width, 8 to 4096 (default: V2 1280, V1 640).")
    var depthWidth: Int?

    @Flag(name: .customLong("overwrite"), help: "Write into a folder that is not empty.")
    var overwrite = false

    func validate() throws {
        guard (1...1_000_000).contains(samples) else { throw ValidationError("--samples \(samples): expected 1 to 1000000") }
        for (flag, value) in [("--depth_height", depthHeight), ("--depth_width", depthWidth)] {
            if let value, !(8...4096).contains(value) { throw ValidationError("\(flag) \(value): expected 8 to 4096 pixels") }
        }
    }

    func run() throws {
        let synth = SyntheticDataset(kind: dataset, seed: seed, samples: samples, depthHeight: depthHeight, depthWidth: depthWidth)
        let start = Date()
        let summary = try synth.write(to: URL(fileURLWithPath: out), overwrite: overwrite)
        let splits = Split.allCases.map { "\($0.rawValue) \(summary.perSplit[$0] ?? 0)" }.joined(separator: ", ")
        print("synth: wrote \(summary.samples) \(dataset.displayName) samples from \(summary.rooms) rooms to \(out) (\(splits); \(summary.bytes / 1_000_000) MB, \(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
    }
}
