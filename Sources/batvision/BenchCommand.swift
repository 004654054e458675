import ArgumentParser
import Cache
import Foundation
import Ingest

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure streaming reads from a feature cache (samples/s), as training reads it.",
        discussion: "Benchmarks/run_featurize_bench.sh runs this beside the PyTorch reference loader.")

    @Option(name: .customLong("cache"), help: "A features.h5 (or its folder).")
    var cache: String

    @Option(name: .customLong("batch_size"), help: "Samples per batch.")
    var batchSize: Int = 32

    @Option(name: .customLong("epochs"), help: "Passes over the cache.")
    var epochs: Int = 1

    func run() throws {
        var url = URL(fileURLWithPath: cache)
        if !url.path.hasSuffix(".h5") { url = url.appendingPathComponent("features.h5") }
        let r = try ReadBenchmark.run(cache: try FeatureCache(path: url), batchSize: batchSize, epochs: epochs)
        print(String(format: "{\"bench\": \"read\", \"samples\": %d, \"seconds\": %.3f, \"samples_per_s\": %.1f, \"mb_per_s\": %.0f}",
                     r.samples, r.seconds, r.samplesPerSecond, r.megabytesPerSecond))
    }
}
