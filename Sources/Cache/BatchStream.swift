import Foundation
import Ingest
import Support

/// A batch of samples as contiguous [B, C, H, W] buffers.
public struct Batch {
    public var count: Int
    public var audio: [Float]
    public var depth: [Float]
    /// Which sample each row is: split and index within the split.
    public var samples: [(split: Split, index: Int)]

    public init(count: Int, audio: [Float], depth: [Float], samples: [(split: Split, index: Int)]) {
        self.count = count
        self.audio = audio
        self.depth = depth
        self.samples = samples
    }
}

/// Streams batches from a cache for one epoch: order shuffled from (seed, epoch) or kept,
/// the last short batch kept or dropped, any subset of splits. A background thread reads
/// ahead (`prefetch` batches) on its own file handle while the consumer computes; `stop()`
/// (or deinit) waits for it to close that handle. With `prefetch` 0, or an HDF5 library
/// that is not built thread-safe, batches are read on the consumer's thread instead.
/// Iterate it once.
public final class BatchStream: Sequence, IteratorProtocol {
    public let order: [(split: Split, index: Int)]
    public let batchSize: Int
    public let batchCount: Int
    private let pipe: Pipe
    private var nextToYield = 0
    /// The reader on the consumer's thread, when HDF5 cannot be used from two threads.
    private let inline: (cache: FeatureCache, audioSize: Int, depthSize: Int)?

    /// Batches handed from the reading thread to the consumer, at most `prefetch` ahead.
    final class Pipe: @unchecked Sendable {
        let condition = NSCondition()
        var ready: [Int: Result<Batch, Error>] = [:]
        var consumed = 0
        var stopped = false
        /// Set by the reading thread once it has closed its file handle.
        var finished = false
    }

    /// The order of one epoch: splits in the given order, then shuffled with a generator
    /// seeded by (seed, epoch) when `shuffle`.
    public static func epochOrder(counts: [(Split, Int)], shuffle: Bool, seed: UInt64, epoch: Int) -> [(split: Split, index: Int)] {
        var order: [(split: Split, index: Int)] = []
        for (split, n) in counts { order += (0..<n).map { (split, $0) } }
        if shuffle {
            var rng = SeededRandom(seed: seed, stream: UInt64(epoch) &+ 0x5EED)
            order.shuffle(using: &rng)
        }
        return order
    }

    public init(cache: FeatureCache, splits: [Split], batchSize: Int, shuffle: Bool, seed: UInt64 = 0,
                epoch: Int = 0, dropLast: Bool = false, prefetch: Int = 2) {
        let size = Swift.max(1, batchSize)
        let order = Self.epochOrder(counts: splits.map { ($0, cache.count($0)) }, shuffle: shuffle, seed: seed, epoch: epoch)
        let count = dropLast ? order.count / size : (order.count + size - 1) / size
        self.order = order
        self.batchSize = size
        self.batchCount = count
        let pipe = Pipe()
        self.pipe = pipe
        let path = cache.path, audioSize = cache.audioSize, depthSize = cache.depthSize
        guard prefetch > 0, HDF5File.libraryIsThreadSafe else {
            inline = (cache, audioSize, depthSize)
            pipe.finished = true
            return
        }
        inline = nil
        let ahead = prefetch
        let thread = Thread {
            Self.readAll(pipe: pipe, path: path, order: order, batchSize: size, batchCount: count,
                         audioSize: audioSize, depthSize: depthSize, prefetch: ahead)
            pipe.condition.lock()
            pipe.finished = true
            pipe.condition.broadcast()
            pipe.condition.unlock()
        }
        thread.name = "batvision.prefetch"
        thread.start()
    }

    deinit { stop() }

    /// Stops the reader early (e.g. when the consumer leaves the loop) and waits until it
    /// has closed its file handle.
    public func stop() {
        pipe.condition.lock()
        pipe.stopped = true
        pipe.condition.broadcast()
        while !pipe.finished { pipe.condition.wait() }
        pipe.condition.unlock()
    }

    /// Batch `b` of `order`, read from `reader`.
    static func readBatch(_ b: Int, reader: FeatureCache, order: [(split: Split, index: Int)], batchSize: Int,
                          audioSize: Int, depthSize: Int) throws -> Batch {
        let rows = Array(order[(b * batchSize)..<Swift.min((b + 1) * batchSize, order.count)])
        var audio = [Float](repeating: 0, count: rows.count * audioSize)
        var depth = [Float](repeating: 0, count: rows.count * depthSize)
        try audio.withUnsafeMutableBufferPointer { a in
            try depth.withUnsafeMutableBufferPointer { d in
                for (r, row) in rows.enumerated() {
                    try reader.read(row.split, row.index,
                                    audio: UnsafeMutableBufferPointer(rebasing: a[(r * audioSize)..<((r + 1) * audioSize)]),
                                    depth: UnsafeMutableBufferPointer(rebasing: d[(r * depthSize)..<((r + 1) * depthSize)]))
                }
            }
        }
        return Batch(count: rows.count, audio: audio, depth: depth, samples: rows)
    }

    /// The reading thread: its own handle on the file, closed when this returns.
    private static func readAll(pipe: Pipe, path: URL, order: [(split: Split, index: Int)], batchSize: Int,
                                batchCount: Int, audioSize: Int, depthSize: Int, prefetch: Int) {
        func deliver(_ b: Int, _ result: Result<Batch, Error>) {
            pipe.condition.lock()
            pipe.ready[b] = result
            pipe.condition.broadcast()
            pipe.condition.unlock()
        }
        let reader: FeatureCache
        // The consumer's cache was checked when it was opened: no second check every epoch.
        do { reader = try FeatureCache(path: path, checked: false) } catch {
            deliver(0, .failure(error))
            return
        }
        for b in 0..<batchCount {
            pipe.condition.lock()
            while !pipe.stopped && b - pipe.consumed >= prefetch { pipe.condition.wait() }
            let stop = pipe.stopped
            pipe.condition.unlock()
            if stop { return }
            let result = Result { try readBatch(b, reader: reader, order: order, batchSize: batchSize, audioSize: audioSize, depthSize: depthSize) }
            deliver(b, result)
            if case .failure = result { return }
        }
    }

    /// The next batch; nil at the end of the epoch. Throws what the reader hit.
    public func nextBatch() throws -> Batch? {
        guard nextToYield < batchCount else { return nil }
        pipe.condition.lock()
        let stopped = pipe.stopped
        pipe.condition.unlock()
        if stopped { return nil }
        if let inline {
            defer { nextToYield += 1 }
            return try Self.readBatch(nextToYield, reader: inline.cache, order: order, batchSize: batchSize,
                                      audioSize: inline.audioSize, depthSize: inline.depthSize)
        }
        pipe.condition.lock()
        // A read error is delivered in place of the batch it hit, and the reader stops there.
        while pipe.ready[nextToYield] == nil && !pipe.stopped && !pipe.finished { pipe.condition.wait() }
        let result = pipe.ready.removeValue(forKey: nextToYield)
        nextToYield += 1
        pipe.consumed = nextToYield
        pipe.condition.broadcast()
        pipe.condition.unlock()
        return try result?.get()
    }

    /// Sequence conformance; a read error ends the sequence (use `nextBatch` to see it).
    public func next() -> Batch? { try? nextBatch() }
}
