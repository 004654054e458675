import Cache
import Foundation
import Ingest
import Model
import Support

/// Eval-mode inference throughput over a cache, timed the way `eval` predicts
/// (`predictBatches`: batches in order, BatchNorm on its running statistics, no gradient
/// buffers), for `bench eval` beside a PyTorch `model.eval()` / `torch.no_grad()` loop.
/// Weights are random (seed 0): the time does not depend on their values.
public enum InferenceBenchmark {
    public struct Result: Sendable {
        public var samples: Int
        public var seconds: Double
        public var samplesPerSecond: Double { Double(samples) / max(seconds, 1e-9) }
        /// The library that ran the products (`auto` resolved for this CPU).
        public var gemm: GemmEngine
        public var size: Int
    }

    /// One untimed batch first (buffers are sized on the first forward), then `passes`
    /// timed passes over `splits`.
    public static func run(cache: FeatureCache, splits: [Split], numDowns: Int, ngf: Int, batchSize: Int, passes: Int,
                           par: Parallelism = .allCores, gemm: GemmEngine = .auto) throws -> Result {
        let depth = cache.depthShape
        guard depth.count == 3, depth[0] == 1, depth[1] == depth[2] else {
            throw ModelError.shape(name: "cached depth", expected: [1, -1, -1], found: depth)
        }
        let input = try ModelInput(audioShape: cache.audioShape, depthSize: depth[1])
        let config = UNetConfig(numDowns: numDowns, ngf: ngf, depthNorm: true)
        try config.checkInput(height: input.size, width: input.size)
        try config.checkFits(batch: batchSize, size: input.size, training: false)
        let model = try UNet(config, par: par, gemm: gemm)
        model.initialize(seed: 0)
        guard splits.contains(where: { cache.count($0) > 0 }) else {
            throw ModelError.config("\(cache.path.path) has no samples in \(splits.map(\.rawValue).joined(separator: ", "))")
        }
        do {
            try predictBatches(model: model, cache: cache, input: input, splits: splits, batchSize: batchSize) { _, _ in
                throw WarmedUp()
            }
        } catch is WarmedUp {}
        var samples = 0
        var checksum: Float = 0
        let clock = Stopwatch()
        for _ in 0..<passes {
            try predictBatches(model: model, cache: cache, input: input, splits: splits, batchSize: batchSize) { batch, pred in
                samples += batch.count
                checksum += pred[0]  // touch the output
            }
        }
        let seconds = clock.seconds
        _ = checksum
        return Result(samples: samples, seconds: seconds, gemm: model.gemm.engine, size: input.size)
    }

    /// Ends the warm-up after its first batch.
    private struct WarmedUp: Error {}
}
