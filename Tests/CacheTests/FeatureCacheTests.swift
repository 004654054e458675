import Cache
import Foundation
import Ingest
import Support
import Testing
import TestSupport

/// A small synthetic V2 dataset with its manifest, shared by the cache tests.
extension SmallDataset {
    func featurizer(_ config: FeatureConfig, cache: String = "cache") -> Featurizer {
        var f = Featurizer(manifest: manifest, root: root, config: config, cacheDir: dir.file(cache))
        f.showProgress = false
        f.batchSize = 4
        return f
    }
}

func smallConfig(_ format: AudioFormat = .spectrogram, size: Int = 32, kind: DatasetKind = .batvisionv2) throws -> FeatureConfig {
    try FeatureConfig(dataset: kind, audioFormat: format, maxDepth: kind == .batvisionv2 ? 30 : 12,
                      depthNorm: kind == .batvisionv1, imagesSize: size)
}

@Suite struct FeatureCacheTests {
    @Test(arguments: [AudioFormat.spectrogram, .melSpectrogram, .waveform])
    func cacheHoldsWhatTheExtractorComputesInTheSpecLayout(format: AudioFormat) throws {
        let data = try SmallDataset()
        defer { data.dir.cleanup() }
        let config = try smallConfig(format)
        let featurizer = data.featurizer(config)
        let summary = try featurizer.run()
        #expect(!summary.reused && summary.computed == 14)
        #expect(summary.path.path.hasSuffix("cache/batvisionv2/\(featurizer.location.key)/features.h5"))
        let cache = try FeatureCache(path: summary.path)
        #expect(cache.config == config)
        #expect(Set(cache.attributeNames).isSuperset(of: CacheValidator.requiredAttributes))
        #expect(cache.intAttribute("complete") == 1)
        #expect(cache.stringAttribute("manifest_digest") == data.manifest.digest)
        #expect(cache.intAttribute("hop_length") == (format == .melSpectrogram ? 32 : 16))
        #expect(cache.intAttribute("cut_samples") == 7782)
        #expect(cache.audioShape == (format == .waveform ? [2, 7782] : [2, 32, 32]))
        #expect(cache.depthShape == [1, 32, 32])
        let extractor = FeatureExtractor(config: config)
        let ws = extractor.makeWorkspace()
        for split in Split.allCases {
            let samples = data.manifest.samples(in: split)
            #expect(cache.count(split) == samples.count)
            #expect(try cache.sampleIds(split) == samples.map(\.id))
            for (i, sample) in samples.enumerated() {
                let (a, d) = try featurizer.features(of: sample, extractor: extractor, workspace: ws)
                let stored = try cache.sample(split, i)
                #expect(stored.audio == a && stored.depth == d, "\(sample.id)")
            }
        }
        #expect(try CacheValidator(cachePath: summary.path, manifest: data.manifest, root: data.root, recheck: 3).run().isEmpty)
    }

    /// `--threads 1` computes the same cache as every core (each sample on one thread).
    @Test func oneThreadGivesTheSameCache() throws {
        let data = try SmallDataset(samples: 8)
        defer { data.dir.cleanup() }
        var single = data.featurizer(try smallConfig(), cache: "one")
        single.parallelism = Parallelism(workers: 1)
        var many = data.featurizer(try smallConfig(), cache: "many")
        many.parallelism = Parallelism(workers: 3)
        let a = try FeatureCache(path: try single.run().path), b = try FeatureCache(path: try many.run().path)
        for split in Split.allCases {
            for i in 0..<a.count(split) { #expect(try a.sample(split, i).audio == b.sample(split, i).audio) }
        }
    }

    /// The key of a default config must not move by accident: every existing cache is
    /// found by it. A deliberate change bumps CacheLocation.schemaVersion and this value.
    /// The values are sha256("batvision-cache-v1|" + sorted-key JSON of the config + "|d1"),
    /// first 8 bytes, computed in Python.
    @Test func theCacheKeyOfADefaultConfigIsPinned() throws {
        let v2 = try FeatureConfig(dataset: .batvisionv2, audioFormat: .melSpectrogram, maxDepth: 30, depthNorm: false, imagesSize: 256)
        let v1 = try FeatureConfig(dataset: .batvisionv1, audioFormat: .spectrogram, maxDepth: 12, depthNorm: true, imagesSize: 256)
        #expect(CacheLocation(cacheDir: URL(fileURLWithPath: "c"), config: v2, manifestDigest: "d1").key == "f2f39e35c9c4fdef")
        #expect(CacheLocation(cacheDir: URL(fileURLWithPath: "c"), config: v1, manifestDigest: "d1").key == "4c10fecf909b8023")
        // Two more, computed by the code before the canonical encoding (commit 1e136c7):
        // V2 spectrogram with --depth_resize valid_area, and V1 waveform.
        let resized = try FeatureConfig(dataset: .batvisionv2, audioFormat: .spectrogram, maxDepth: 30, depthNorm: false,
                                        imagesSize: 256, depthResize: .validArea)
        let waveform = try FeatureConfig(dataset: .batvisionv1, audioFormat: .waveform, maxDepth: 12, depthNorm: true, imagesSize: 256)
        #expect(CacheLocation(cacheDir: URL(fileURLWithPath: "c"), config: resized, manifestDigest: "d1").key == "364be9e672ef28c2")
        #expect(CacheLocation(cacheDir: URL(fileURLWithPath: "c"), config: waveform, manifestDigest: "d1").key == "6ea8d336fdaab3ac")
        // The feature code's version is part of the key: a new version never reuses old caches.
        #expect(CacheLocation.dspVersion == 1)
        #expect(CacheLocation.key(config: v2, manifestDigest: "d1", dspVersion: 2) != "f2f39e35c9c4fdef")
    }

    @Test func unchangedConfigReusesChangedConfigMakesANewCacheForceRebuilds() throws {
        let data = try SmallDataset()
        defer { data.dir.cleanup() }
        let first = try data.featurizer(try smallConfig()).run()
        let modified = try FileManager.default.attributesOfItem(atPath: first.path.path)[.modificationDate] as? Date
        let again = try data.featurizer(try smallConfig()).run()
        #expect(again.reused && again.path == first.path && again.computed == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: first.path.path)[.modificationDate] as? Date == modified)
        let other = try data.featurizer(try smallConfig(size: 16)).run()
        #expect(!other.reused && other.path != first.path)
        let forced = try data.featurizer(try smallConfig()).run(force: true)
        #expect(!forced.reused && forced.path == first.path && forced.computed == 14)
    }

    @Test func validationFindsCorruptionAndAForeignManifest() throws {
        let data = try SmallDataset()
        defer { data.dir.cleanup() }
        let summary = try data.featurizer(try smallConfig()).run()
        do {
            let f = try HDF5File(path: summary.path.path, mode: .readWrite)
            let ds = try f.openDataset("/train/depth")
            var row = try ds.readRows(1, count: 1)
            row[5] = .nan
            try row.withUnsafeBufferPointer { try ds.writeRows(1, count: 1, $0) }
        }
        let findings = try CacheValidator(cachePath: summary.path, manifest: data.manifest, root: data.root, recheck: 14).run()
        #expect(findings.contains { $0.contains("NaN or Inf") })
        #expect(findings.contains { $0.contains("stored depth differs") })
        var foreign = data.manifest
        foreign.samples.removeLast()
        foreign.digest = "0000"
        let other = try CacheValidator(cachePath: summary.path, manifest: foreign, root: nil).run()
        #expect(other.contains { $0.contains("digest") })
        #expect(other.contains { $0.contains("the manifest has") })
    }

    @Test func anIncompleteFileIsNeverReadAsACache() throws {
        let data = try SmallDataset()
        defer { data.dir.cleanup() }
        let loc = data.featurizer(try smallConfig()).location
        try FileManager.default.createDirectory(at: loc.directory, withIntermediateDirectories: true)
        _ = try HDF5File(path: loc.file.path, mode: .create)  // no `complete` attribute
        #expect(throws: CacheError.cacheIncomplete(path: loc.file.path)) { try FeatureCache(path: loc.file) }
        #expect(throws: CacheError.self) { try FeatureCache(path: data.dir.file("nowhere.h5")) }
    }
}

@Suite struct BatchStreamTests {
    @Test func batchesAreTheCachedSamplesInASeededOrder() throws {
        let data = try SmallDataset()
        defer { data.dir.cleanup() }
        let cache = try FeatureCache(path: try data.featurizer(try smallConfig()).run().path)
        let n = cache.count(.train) + cache.count(.val)
        func epoch(_ e: Int, seed: UInt64, dropLast: Bool = false) throws -> [Batch] {
            let stream = BatchStream(cache: cache, splits: [.train, .val], batchSize: 4, shuffle: true, seed: seed,
                                     epoch: e, dropLast: dropLast)
            var out: [Batch] = []
            while let b = try stream.nextBatch() { out.append(b) }
            return out
        }
        let a = try epoch(0, seed: 1), b = try epoch(0, seed: 1), c = try epoch(1, seed: 1)
        #expect(a.flatMap { $0.samples.map(\.index) } == b.flatMap { $0.samples.map(\.index) })
        #expect(a.flatMap { $0.samples.map { "\($0.split)\($0.index)" } } != c.flatMap { $0.samples.map { "\($0.split)\($0.index)" } })
        #expect(a.map(\.count).reduce(0, +) == n)
        #expect(Set(a.flatMap { $0.samples.map { "\($0.split)/\($0.index)" } }).count == n)
        let dropped = try epoch(0, seed: 1, dropLast: true)
        #expect(dropped.allSatisfy { $0.count == 4 } && dropped.count == n / 4)
        // Every row is the cached sample, laid out [B, C, H, W].
        for batch in a {
            #expect(batch.audio.count == batch.count * 2 * 32 * 32 && batch.depth.count == batch.count * 32 * 32)
            for (r, s) in batch.samples.enumerated() {
                let stored = try cache.sample(s.split, s.index)
                #expect(Array(batch.audio[(r * 2048)..<((r + 1) * 2048)]) == stored.audio)
                #expect(Array(batch.depth[(r * 1024)..<((r + 1) * 1024)]) == stored.depth)
            }
        }
        // In order without shuffling; an early stop returns promptly once the reader has
        // closed its handle, and the stream then yields nothing more.
        #expect(HDF5File.libraryIsThreadSafe, "Debian's HDF5 is built thread-safe: the prefetch thread is used")
        let ordered = BatchStream(cache: cache, splits: [.train], batchSize: 1, shuffle: false, prefetch: 1)
        let first = try #require(try ordered.nextBatch())
        #expect(first.samples.map(\.index) == [0] && first.samples.allSatisfy { $0.split == .train })
        let start = Date()
        ordered.stop()
        #expect(Date().timeIntervalSince(start) < 5, "stop() waited \(Date().timeIntervalSince(start)) s")
        #expect(try ordered.nextBatch() == nil, "a stopped stream yields nothing more")
    }
}
