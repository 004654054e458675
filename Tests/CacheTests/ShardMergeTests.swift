import Cache
import Foundation
import Ingest
import Support
import Testing
import TestSupport

/// Sharded featurize + merge gives the single-process cache: same arrays, ids and order.
@Suite struct ShardMergeTests {
    func shards(_ data: SmallDataset, _ config: FeatureConfig, count: Int, cache: String) throws -> URL {
        for k in 0..<count {
            var f = data.featurizer(config, cache: cache)
            f.shard = try ShardSpec(index: k, count: count)
            let s = try f.run()
            #expect(s.path.lastPathComponent == String(format: "shard-%04d-of-%04d.h5", k, count))
        }
        return data.featurizer(config, cache: cache).location.directory
    }

    /// Every sample of every split, and a shuffled epoch of BatchStream, equal.
    func expectSame(_ a: FeatureCache, _ b: FeatureCache) throws {
        for split in Split.allCases {
            #expect(a.count(split) == b.count(split))
            #expect(try a.sampleIds(split) == b.sampleIds(split))
            for i in 0..<a.count(split) {
                let (x, y) = (try a.sample(split, i), try b.sample(split, i))
                #expect(x.audio == y.audio && x.depth == y.depth, "\(split) \(i)")
            }
        }
        let s1 = BatchStream(cache: a, splits: [.train, .val], batchSize: 4, shuffle: true, seed: 3, epoch: 2)
        let s2 = BatchStream(cache: b, splits: [.train, .val], batchSize: 4, shuffle: true, seed: 3, epoch: 2)
        var batches = 0
        while let p = try s1.nextBatch() {
            let q = try #require(try s2.nextBatch())
            #expect(p.audio == q.audio && p.depth == q.depth && p.samples.map(\.index) == q.samples.map(\.index))
            batches += 1
        }
        #expect(try s2.nextBatch() == nil && batches > 1)
    }

    @Test(arguments: [AudioFormat.melSpectrogram, .waveform])
    func fourShardsMergedEqualOneProcess(_ format: AudioFormat) throws {
        let data = try SmallDataset(samples: 14)
        defer { data.dir.cleanup() }
        let config = try smallConfig(format)
        let single = try FeatureCache(path: try data.featurizer(config, cache: "single").run().path)
        let dir = try shards(data, config, count: 4, cache: "sharded")
        let merged = try CacheMerge.merge(directory: dir, copy: false)
        #expect(!merged.reused && merged.shards == 4)
        let virtual = try FeatureCache(path: merged.path)
        #expect(virtual.isVirtual && virtual.config == config && virtual.manifestDigest == data.manifest.digest)
        try expectSame(single, virtual)
        #expect(try CacheValidator(cachePath: merged.path, manifest: data.manifest, root: data.root, recheck: 3).run().isEmpty)
        // Plain h5py reads the virtual datasets (from another working folder: the shard
        // paths are relative to the merged file).
        let script = Fixtures.repository.appendingPathComponent("Tests/interop/compare_caches.py").path
        let (status, text) = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, single.path.path, merged.path.path], in: data.dir.url)
        #expect(status == 0 && text.contains("caches identical: 14 samples") && text.contains("virtual: True"), "\(text)")
        // Merging again reuses it; a copy is self-contained and equal too.
        #expect(try CacheMerge.merge(directory: dir, copy: false).reused)
        let copyDir = try shards(data, config, count: 3, cache: "copied")
        let copied = try CacheMerge.merge(directory: copyDir, copy: true)
        try FileManager.default.removeItem(at: copyDir.appendingPathComponent("shards"))
        let copy = try FeatureCache(path: copied.path)
        #expect(!copy.isVirtual)
        try expectSame(single, copy)
    }

    @Test func incompleteForeignOrMixedShardsAreRefused() throws {
        let data = try SmallDataset(samples: 10)
        defer { data.dir.cleanup() }
        let config = try smallConfig()
        var f = data.featurizer(config)
        f.shard = try ShardSpec(index: 1, count: 3)
        _ = try f.run()
        let dir = f.location.directory
        #expect(try f.run().reused)
        // Shards 0 and 2 are missing: merge names them.
        do {
            _ = try CacheMerge.merge(directory: dir, copy: false)
            Issue.record("merged an incomplete set")
        } catch let error as CacheError {
            #expect(error.description.contains("shards 0, 2 of 3"), "\(error)")
        }
        // Another N in the same folder is refused before any work.
        var other = data.featurizer(config)
        other.shard = try ShardSpec(index: 0, count: 2)
        #expect(throws: CacheError.self) { try other.run() }
        // A shard file of another manifest under this key is refused by name.
        let foreign = try SmallDataset(samples: 6)
        defer { foreign.dir.cleanup() }
        var g = Featurizer(manifest: foreign.manifest, root: foreign.root, config: config, cacheDir: foreign.dir.file("c"))
        g.showProgress = false
        g.shard = try ShardSpec(index: 0, count: 3)
        let foreignShard = try g.run().path
        try FileManager.default.copyItem(at: foreignShard, to: f.location.files(of: try ShardSpec(index: 0, count: 3)).file)
        var zero = data.featurizer(config)
        zero.shard = try ShardSpec(index: 0, count: 3)
        do {
            _ = try zero.run()
            Issue.record("reused a foreign shard")
        } catch let error as CacheError {
            #expect(error.description.contains("another manifest"), "\(error)")
        }
    }

    @Test func aMergedCacheWithoutItsShardsIsRefused() throws {
        let data = try SmallDataset(samples: 8)
        defer { data.dir.cleanup() }
        let dir = try shards(data, try smallConfig(), count: 2, cache: "c")
        let merged = try CacheMerge.merge(directory: dir, copy: false)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("shards/shard-0001-of-0002.h5"))
        do {
            _ = try FeatureCache(path: merged.path)
            Issue.record("opened a merged cache with a missing shard")
        } catch let error as CacheError {
            #expect(error.description.contains("shards/shard-0001-of-0002.h5"), "\(error)")
        }
    }

    /// While one featurize writes a cache (or shard), a second one is refused, naming the holder.
    @Test func aSecondWriterIsRefused() throws {
        let data = try SmallDataset(samples: 4)
        defer { data.dir.cleanup() }
        let f = data.featurizer(try smallConfig())
        let held = try FileLock(f.files.lock, purpose: "writing this cache")
        defer { held.release() }
        do {
            _ = try f.run()
            Issue.record("a second writer ran")
        } catch let error as FileLockError {
            #expect(error.description.contains("pid \(getpid())"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: f.files.partial.path))
    }

    /// Stray names in shards/ (N of -1, 0 or beyond the limit) are not shards, and a second
    /// merge --copy reuses the copy while a virtual merge over it is refused by name.
    @Test func strayShardNamesAndRepeatedCopies() throws {
        let data = try SmallDataset(samples: 6)
        defer { data.dir.cleanup() }
        let dir = try shards(data, try smallConfig(), count: 2, cache: "c")
        for name in ["shard-0000-of--001.h5", "shard-0000-of-0000.h5", "shard-0-of-999999999999999.h5", "shard-0003-of-0002.h5"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent("shards/\(name)"))
        }
        let first = try CacheMerge.merge(directory: dir, copy: true)
        #expect(!first.reused && first.copied)
        #expect(try CacheMerge.merge(directory: dir, copy: true).reused)
        do {
            _ = try CacheMerge.merge(directory: dir, copy: false)
            Issue.record("mapped over a copy")
        } catch let error as CacheError {
            #expect(error.description.contains("with --copy already"), "\(error)")
        }
    }
}
