import Foundation

/// Shard K of N of a manifest's samples: the samples in cache order (train, then val,
/// then test, each in manifest order) cut into N contiguous ranges, shard K holding
/// [K * T / N, (K + 1) * T / N). The same N gives the same cut on every machine.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// At most this many shards (a shard per sample of the real V1 set is already ~50k).
    public static let maxCount = 100_000

    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= Self.maxCount, index >= 0, index < count else {
            throw CacheError.config("shard \(index)/\(count): expected K/N with 0 <= K < N <= \(Self.maxCount)")
        }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// The global sample range of this shard among `total` samples.
    public func range(of total: Int) -> Range<Int> { (index * total / count)..<((index + 1) * total / count) }
}
