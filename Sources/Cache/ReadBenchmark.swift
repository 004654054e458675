import Foundation
import Ingest

/// Streams every sample of a cache once, shuffled, in batches, as training would read it.
public enum ReadBenchmark {
    public struct Result: Sendable {
        public var samples: Int
        public var seconds: Double
        public var samplesPerSecond: Double { Double(samples) / max(seconds, 1e-9) }
        public var megabytesPerSecond: Double
    }

    public static func run(cache: FeatureCache, splits: [Split] = Split.allCases, batchSize: Int = 32,
                           epochs: Int = 1) throws -> Result {
        let start = Date()
        var samples = 0
        var checksum: Float = 0
        for epoch in 0..<epochs {
            let stream = BatchStream(cache: cache, splits: splits, batchSize: batchSize, shuffle: true, seed: 1, epoch: epoch)
            while let batch = try stream.nextBatch() {
                samples += batch.count
                checksum += batch.audio[0] + batch.depth[0]  // touch the data
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let bytes = Double(samples * (cache.audioSize + cache.depthSize) * 4)
        _ = checksum
        return Result(samples: samples, seconds: seconds, megabytesPerSecond: bytes / 1e6 / max(seconds, 1e-9))
    }
}
