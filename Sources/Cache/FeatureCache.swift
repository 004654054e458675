import Foundation
import Ingest

/// A finished feature cache, opened for reading. Refuses files that are not complete.
/// Not thread-safe (HDF5 is not): one reader per thread, or the `BatchStream`'s thread.
public final class FeatureCache {
    public let path: URL
    public let config: FeatureConfig
    public let manifestDigest: String
    /// The shard this file holds (a shard file), or nil (a whole or merged cache).
    public let shard: ShardSpec?
    let file: HDF5File
    private var audio: [Split: HDF5Dataset] = [:]
    private var depth: [Split: HDF5Dataset] = [:]

    public init(path: URL) throws {
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw CacheError.cacheMissing(path: path.path, hint: "Run `batvision featurize` first.")
        }
        self.path = path
        let file = try HDF5File(path: path.path, mode: .readOnly)
        guard file.intAttribute("complete") == 1 else { throw CacheError.cacheIncomplete(path: path.path) }
        guard file.intAttribute("schema_version") == CacheLocation.schemaVersion else {
            throw CacheError.cacheMismatch(path: path.path, reason: "schema version \(file.intAttribute("schema_version") ?? -1), this tool reads \(CacheLocation.schemaVersion): run featurize --force")
        }
        self.file = file
        config = try FeatureCacheSchema.read(file)
        manifestDigest = file.stringAttribute("manifest_digest") ?? ""
        shard = FeatureCacheSchema.readShard(file)
        try CacheMerge.checkSources(of: file, at: path)
        for split in Split.allCases where file.exists(FeatureCacheSchema.audio(split)) {
            audio[split] = try file.openDataset(FeatureCacheSchema.audio(split))
            depth[split] = try file.openDataset(FeatureCacheSchema.depth(split))
        }
    }

    public func count(_ split: Split) -> Int { audio[split]?.shape.first ?? 0 }

    /// Shape of one sample's audio features: [2, S, S] or [2, L].
    public var audioShape: [Int] { Array((audio.values.first?.shape ?? []).dropFirst()) }
    public var depthShape: [Int] { Array((depth.values.first?.shape ?? []).dropFirst()) }
    public var audioSize: Int { audioShape.reduce(1, *) }
    public var depthSize: Int { depthShape.reduce(1, *) }

    public func sampleIds(_ split: Split) throws -> [String] {
        guard count(split) > 0 else { return [] }
        return try file.openDataset(FeatureCacheSchema.sample(split)).readStrings()
    }

    /// Reads `count` consecutive samples of a split into the buffers.
    public func read(_ split: Split, _ index: Int, count: Int = 1, audio audioOut: UnsafeMutableBufferPointer<Float>,
                     depth depthOut: UnsafeMutableBufferPointer<Float>) throws {
        guard let a = audio[split], let d = depth[split] else {
            throw CacheError.cacheMismatch(path: path.path, reason: "no split \(split.rawValue)")
        }
        try a.readRows(index, count: count, into: audioOut)
        try d.readRows(index, count: count, into: depthOut)
    }

    /// One sample as arrays (convenient, allocates).
    public func sample(_ split: Split, _ index: Int) throws -> (audio: [Float], depth: [Float]) {
        var a = [Float](repeating: 0, count: audioSize)
        var d = [Float](repeating: 0, count: depthSize)
        try a.withUnsafeMutableBufferPointer { ab in
            try d.withUnsafeMutableBufferPointer { db in try read(split, index, audio: ab, depth: db) }
        }
        return (a, d)
    }

    /// Root attribute names (for validation and inspection).
    public var attributeNames: [String] { file.attributeNames() }
    public func intAttribute(_ name: String) -> Int? { file.intAttribute(name) }
    public func stringAttribute(_ name: String) -> String? { file.stringAttribute(name) }
}
