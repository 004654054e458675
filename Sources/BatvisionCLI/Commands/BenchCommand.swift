import ArgumentParser
import Cache
import Foundation
import Ingest
import Model
import Support
import Train

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: streaming reads from a cache, U-Net training steps, eval-mode inference.",
        discussion: "Benchmarks/*.sh run these beside the PyTorch reference (bench_reference.py).",
        subcommands: [BenchReadCommand.self, BenchTrainCommand.self, BenchEvalCommand.self],
        defaultSubcommand: BenchReadCommand.self)
}

struct BenchReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Measure streaming reads from a feature cache (samples/s), as training reads it.")

    @Option(name: .customLong("cache"), help: "A features.h5 (or its folder).")
    var cache: String

    @Option(name: .customLong("batch_size"), help: "Samples per batch.")
    var batchSize: Int = 32

    @Option(name: .customLong("epochs"), help: "Passes over the cache.")
    var epochs: Int = 1

    func validate() throws {
        guard (1...65_536).contains(batchSize) else { throw ValidationError("--batch_size \(batchSize): expected 1 to 65536") }
        guard (1...1000).contains(epochs) else { throw ValidationError("--epochs \(epochs): expected 1 to 1000") }
    }

    func run() throws {
        let url = CacheFiles.file(given: cache)
        let r = try ReadBenchmark.run(cache: try FeatureCache(path: url), batchSize: batchSize, epochs: epochs)
        print(String(format: "{\"bench\": \"read\", \"samples\": %d, \"seconds\": %.3f, \"samples_per_s\": %.1f, \"mb_per_s\": %.0f}",
                     r.samples, r.seconds, r.samplesPerSecond, r.megabytesPerSecond))
    }
}

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time U-Net training steps (forward, Combined loss, backward, clip, AdamW) like `bench_reference.py train`.",
        discussion: "Uses every core unless --threads says otherwise, as training does; prints the library that ran the products (--gemm, auto resolved for this CPU), the step's GFLOP/s against the host's peak estimate (cores x FMA width x the clock /proc/cpuinfo gives) and against a square product measured afterwards on the same library and threads (side dense_gemm_n: 2048, or less where one product of the side before took over a quarter second, as the portable kernel in a debug build does), and the mean seconds of each phase of a step (phase_seconds: zero_grad, forward, loss, backward, clip_and_optimizer).")

    @OptionGroup var model: BenchModelOptions
    @Option(help: "Input side length.")
    var size: Int = 256
    @Option(help: "Samples per step.")
    var batch: Int = 8
    @Option(help: "Timed steps.")
    var steps: Int = 3
    @Option(help: "Untimed steps first.")
    var warmup: Int = 2

    func validate() throws {
        guard (1...4096).contains(size) else { throw ValidationError("--size \(size): expected 1 to 4096") }
        guard (1...65_536).contains(batch) else { throw ValidationError("--batch \(batch): expected 1 to 65536") }
        guard (1...10_000).contains(steps), (0...1000).contains(warmup) else { throw ValidationError("--steps 1 to 10000 and --warmup 0 to 1000") }
    }

    func run() throws {
        let par = model.parallelism
        let r = try TrainStepBenchmark.run(numDowns: model.numDowns, ngf: model.ngf, size: size, batch: batch, steps: steps, warmup: warmup,
                                           par: par, gemm: model.engine)
        let flops = UNetConfig(numDowns: model.numDowns, ngf: model.ngf, depthNorm: true).trainingFlops(batch: batch, size: size)
        let achieved = flops / r.secondsPerStep / 1e9, peak = HostPeak.current(cores: min(par.workers, ProcessInfo.processInfo.activeProcessorCount))
        let dense = DenseGemmRate.measure(Gemm(r.gemm, par: par))
        print(String(format: "{\"bench\": \"train\", \"num_downs\": %d, \"ngf\": %d, \"size\": %d, \"batch\": %d, \"threads\": %d, \"gemm\": \"%@\", \"seconds_per_step\": %.4f, \"samples_per_s\": %.2f, \"gflop_per_step\": %.1f, \"gflops\": %.1f, \"peak_gflops\": %.1f, \"percent_of_peak\": %.1f, \"dense_gemm_gflops\": %.1f, \"percent_of_dense_gemm\": %.1f, \"dense_gemm_n\": %d, \"cpu\": \"%@ (%@)\", \"phase_seconds\": {%@}}",
                     model.numDowns, model.ngf, size, batch, par.workers, r.gemm.rawValue, r.secondsPerStep, r.samplesPerSecond,
                     flops / 1e9, achieved, peak.gflops, 100 * achieved / peak.gflops, dense.gflops, 100 * achieved / dense.gflops, dense.n, peak.model, peak.flags,
                     r.phases.map { String(format: "\"%@\": %.4f", $0.name, $0.seconds) }.joined(separator: ", ")))
    }
}

struct BenchEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Time eval-mode U-Net inference over a cache (samples/s), as `eval` predicts, beside Benchmarks/bench_eval_torch.py.",
        discussion: "Random weights; the input size is the cache's. Uses every core unless --threads says otherwise.")

    @Option(name: .customLong("cache"), help: "A features.h5 (or its folder).")
    var cache: String
    @Option(name: .customLong("split"), help: "The splits to read, in order (default: all).")
    var split: [Split] = Split.allCases
    @OptionGroup var model: BenchModelOptions
    @Option(help: "Samples per forward.")
    var batch: Int = 16
    @Option(help: "Timed passes over the splits.")
    var passes: Int = 1

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch \(batch): expected 1 to 4096") }
        guard (1...1000).contains(passes) else { throw ValidationError("--passes \(passes): expected 1 to 1000") }
    }

    func run() throws {
        let url = CacheFiles.file(given: cache)
        let par = model.parallelism
        let r = try InferenceBenchmark.run(cache: try FeatureCache(path: url), splits: split, numDowns: model.numDowns, ngf: model.ngf,
                                           batchSize: batch, passes: passes, par: par, gemm: model.engine)
        print(String(format: "{\"bench\": \"eval\", \"num_downs\": %d, \"ngf\": %d, \"size\": %d, \"batch\": %d, \"threads\": %d, \"gemm\": \"%@\", \"samples\": %d, \"seconds\": %.3f, \"samples_per_s\": %.2f}",
                     model.numDowns, model.ngf, r.size, batch, par.workers, r.gemm.rawValue, r.samples, r.seconds, r.samplesPerSecond))
    }
}

extension Split: ExpressibleByArgument {}

/// The U-Net and the compute the train and eval benchmarks share. No conf files here: the
/// flags or the defaults (every core, `--gemm auto`).
struct BenchModelOptions: ParsableArguments {
    @Option(name: .customLong("num_downs"), help: "U-Net levels (8 = unet_256, 7 = unet_128).")
    var numDowns: Int = 8
    @Option(help: "Filters of the first level.")
    var ngf: Int = 64
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var gemm: GemmOption

    /// The rules of `UNetConfig` and `Parallelism`, as usage errors.
    func validate() throws {
        do {
            try UNetConfig(numDowns: numDowns, ngf: ngf, depthNorm: false).validate()
            _ = try Parallelism.threads(threads.threads)
        } catch let violation as SettingViolation {
            throw ValidationError("--\(violation.keys[0]) \(violation.value): expected \(violation.expected)")
        }
    }

    var parallelism: Parallelism { threads.threads.map { Parallelism(workers: $0) } ?? .allCores }
    /// `--deterministic` pins portable here too (a contradicting --gemm is refused by GemmOption).
    var engine: GemmEngine { gemm.flagEngine }
}
