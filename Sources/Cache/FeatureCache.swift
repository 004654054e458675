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

    public convenience init(path: URL) throws { try self.init(path: path, checked: true) }

    /// Opens the file; `checked` false skips the layout and shard checks, for a second
    /// handle on a cache this process has opened (and so checked) already: `BatchStream`'s
    /// reader opens one every epoch.
    init(path: URL, checked: Bool) throws {
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
        if checked { try CacheMerge.checkSources(of: file, at: path) }
        for split in Split.allCases where file.exists(FeatureCacheSchema.audio(split)) {
            audio[split] = try file.openDataset(FeatureCacheSchema.audio(split))
            depth[split] = try file.openDataset(FeatureCacheSchema.depth(split))
        }
        if checked { try checkLayout() }
    }

    /// Bounds on what a cache may declare: more samples than any dataset, a longer waveform
    /// than any recording.
    static let maxRows = 100_000_000
    static let maxWaveform = 10_000_000

    /// The datasets are what the attributes promise: float32, [N, 2, S, S] (or [N, 2, L]
    /// for waveform) audio and [N, 1, S, S] depth with S = images_size, as many ids as rows,
    /// the same sample shape in every split. A cache edited or written by another tool is
    /// refused here rather than trained on.
    private func checkLayout() throws {
        func refuse(_ why: String) -> CacheError { .cacheMismatch(path: path.path, reason: why) }
        let s = config.imagesSize
        var audioShapes = Set<[Int]>()
        for split in Split.allCases {
            guard let a = audio[split], let d = depth[split] else { continue }
            let name = split.rawValue
            guard a.isFloat32, d.isFloat32 else { throw refuse("/\(name)/audio and /\(name)/depth must be float32") }
            let (as_, ds) = (a.shape, d.shape)
            // Sizes a file can declare without storing them: bounded before anything is sized by them.
            guard let rows = as_.first, rows <= Self.maxRows, as_.count < 2 || as_.last! <= Self.maxWaveform else {
                throw refuse("/\(name)/audio declares \(as_): more rows (\(Self.maxRows)) or samples (\(Self.maxWaveform)) than a cache may hold")
            }
            guard ds.count == 4, Array(ds.dropFirst()) == [1, s, s] else { throw refuse("/\(name)/depth has shape \(ds), expected [N, 1, \(s), \(s)]") }
            let audioOK = config.audioFormat == .waveform
                ? as_.count == 3 && as_[1] == 2 && as_[2] >= 1
                : as_.count == 4 && Array(as_.dropFirst()) == [2, s, s]
            guard audioOK else {
                throw refuse("/\(name)/audio has shape \(as_), expected \(config.audioFormat == .waveform ? "[N, 2, L]" : "[N, 2, \(s), \(s)]")")
            }
            guard as_[0] == ds[0] else { throw refuse("/\(name) has \(as_[0]) audio rows and \(ds[0]) depth rows") }
            if as_[0] > 0 {
                let ids = try file.openDataset(FeatureCacheSchema.sample(split))
                guard let width = ids.stringWidth, width <= 4096, ids.shape == [as_[0]] else {
                    throw refuse("/\(name)/sample must hold \(as_[0]) fixed-length ids of at most 4096 bytes")
                }
                audioShapes.insert(Array(as_.dropFirst()))
            }
        }
        guard audioShapes.count <= 1 else { throw refuse("the splits' audio shapes differ: \(audioShapes.map { "\($0)" }.sorted())") }
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
