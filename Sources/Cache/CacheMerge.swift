import Foundation
import Ingest
import Support

/// Joins the N shards of a sharded featurize (`shards/shard-KKKK-of-NNNN.h5` in a cache's
/// key folder) into the cache `features.h5`: HDF5 virtual datasets over the shards
/// (nothing copied; the shards must stay beside it), or with `copy` one self-contained file.
/// Either reads exactly like a single-process cache: same arrays, ids and order.
public enum CacheMerge {
    public struct Summary: Sendable {
        public var path: URL
        public var shards: Int
        public var perSplit: [Split: Int]
        public var copied: Bool
        public var reused: Bool
        public var seconds: Double
    }

    /// The root attribute of a merged cache listing its shard files (relative to it).
    static let sourcesAttribute = "merged_from_shards"
    /// The same list for a merge with --copy (which no longer reads them).
    static let copiedAttribute = "copied_from_shards"

    /// N of a shard's data file name (`shard-0003-of-0008.h5`, also its `.partial` and
    /// progress companions, not its lock file), or nil for other names.
    public static func shardCount(fromName name: String) -> Int? { parse(name)?.count }

    static func parse(_ name: String) -> (index: Int, count: Int)? {
        guard name.hasPrefix("shard-"), !name.hasSuffix(".lock") else { return nil }
        let parts = name.dropFirst("shard-".count).prefix(while: { $0 != "." }).components(separatedBy: "-of-")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]),
              let spec = try? ShardSpec(index: k, count: n) else { return nil }
        return (spec.index, spec.count)
    }

    public static func merge(directory: URL, copy: Bool) throws -> Summary {
        let start = Date()
        let whole = CacheFiles.whole(in: directory)
        let lock = try FileLock(whole.lock, purpose: "writing this cache")
        defer { lock.release() }
        let shardsDir = directory.appendingPathComponent("shards")
        let shards = try openShards(in: shardsDir)
        let first = shards[0].cache
        let expectedKey = CacheLocation(cacheDir: URL(fileURLWithPath: "/"), config: first.config, manifestDigest: first.manifestDigest).key
        guard directory.lastPathComponent == expectedKey else {
            throw CacheError.cacheMismatch(path: directory.path, reason: "the shards are of key \(expectedKey) (their manifest and feature settings), not of this folder's")
        }
        var perSplit: [Split: Int] = [:]
        for split in Split.allCases { perSplit[split] = shards.reduce(0) { $0 + $1.cache.count(split) } }
        if FileManager.default.fileExists(atPath: whole.file.path) {
            let existing = try FeatureCache(path: whole.file)
            let from = existing.isVirtual ? existing.file.stringAttribute(sourcesAttribute) : existing.file.stringAttribute(copiedAttribute)
            guard from == sourceList(shards) else {
                throw CacheError.cacheMismatch(path: whole.file.path, reason: "a cache is already here that was not merged from these shards: remove it to merge")
            }
            guard existing.isVirtual != copy else {
                throw CacheError.cacheMismatch(path: whole.file.path, reason: "it was merged \(existing.isVirtual ? "as virtual datasets" : "with --copy") already; remove it to merge \(copy ? "with --copy" : "as virtual datasets")")
            }
            return Summary(path: whole.file, shards: shards.count, perSplit: perSplit, copied: !existing.isVirtual,
                           reused: true, seconds: Date().timeIntervalSince(start))
        }
        try? FileManager.default.removeItem(at: whole.partial)
        let out = try HDF5File(path: whole.partial.path, mode: .create)
        do {
            for split in Split.allCases {
                try out.createGroup("/\(split.rawValue)")
                if copy { try copySplit(split, from: shards, into: out) } else { try mapSplit(split, from: shards, into: out) }
            }
            try FeatureCacheSchema.write(first.config, manifestDigest: first.manifestDigest, into: out)
            try out.setAttribute(sourcesAttribute, copy ? "" : sourceList(shards))
            try out.setAttribute(copiedAttribute, copy ? sourceList(shards) : "")
            try out.setAttribute("merged_shard_count", shards.count)
            try out.setAttribute("complete", 1)
            try out.flush()
            out.close()
            try FileManager.default.moveItem(at: whole.partial, to: whole.file)
        } catch {
            out.close()
            try? FileManager.default.removeItem(at: whole.partial)
            throw error
        }
        return Summary(path: whole.file, shards: shards.count, perSplit: perSplit, copied: copy, reused: false,
                       seconds: Date().timeIntervalSince(start))
    }

    struct OpenShard {
        let name: String
        let cache: FeatureCache
    }

    /// Every shard of one N, complete and consistent, in order; or an error saying which
    /// are missing, unfinished or foreign.
    static func openShards(in folder: URL) throws -> [OpenShard] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let counts = Set(names.compactMap { parse($0)?.count })
        guard let n = counts.first else {
            throw CacheError.cacheMissing(path: folder.path, hint: "No shards here: run `batvision featurize ... --shard K/N` for K = 0..N-1 first.")
        }
        guard counts.count == 1 else {
            throw CacheError.cacheMismatch(path: folder.path, reason: "it holds shards of several N (\(counts.sorted().map(String.init).joined(separator: ", "))): keep one set")
        }
        let finished = Set(names.filter { $0.hasSuffix(".h5") }.compactMap { parse($0)?.index })
        let missing = (0..<n).filter { !finished.contains($0) }
        guard missing.isEmpty else {
            let listed = missing.prefix(20).map(String.init).joined(separator: ", ") + (missing.count > 20 ? ", ..." : "")
            throw CacheError.cacheIncomplete(path: folder.path + " (shards \(listed) of \(n) are not finished: run `batvision featurize ... --shard K/\(n)` for them)")
        }
        var shards: [OpenShard] = []
        var next = 0
        for k in 0..<n {
            let name = String(format: "shard-%04d-of-%04d.h5", k, n)
            let cache = try FeatureCache(path: folder.appendingPathComponent(name))
            func refuse(_ why: String) -> CacheError { .cacheMismatch(path: cache.path.path, reason: why) }
            guard cache.shard == (try ShardSpec(index: k, count: n)) else {
                throw refuse("its attributes say shard \(cache.shard.map(\.description) ?? "none"), its name \(k)/\(n)")
            }
            if let first = shards.first?.cache {
                guard cache.config == first.config else { throw refuse("its feature settings differ from shard 0's") }
                guard cache.manifestDigest == first.manifestDigest else { throw refuse("it was built from another manifest than shard 0") }
                guard cache.audioShape == first.audioShape else { throw refuse("its audio shape \(cache.audioShape) differs from shard 0's \(first.audioShape)") }
            }
            let startRow = cache.file.intAttribute("sample_start") ?? -1
            let samples = Split.allCases.reduce(0) { $0 + cache.count($1) }
            guard startRow == next, cache.file.intAttribute("sample_end") == next + samples else {
                throw refuse("its samples \(startRow)..<\(cache.file.intAttribute("sample_end") ?? -1) do not follow shard \(k - 1)'s end \(next)")
            }
            next += samples
            shards.append(OpenShard(name: name, cache: cache))
        }
        return shards
    }

    static func sourceList(_ shards: [OpenShard]) -> String { shards.map { "shards/" + $0.name }.joined(separator: "\n") }

    /// The split's three datasets as virtual datasets over the shards' rows.
    static func mapSplit(_ split: Split, from shards: [OpenShard], into out: HDF5File) throws {
        let first = shards[0].cache
        let total = shards.reduce(0) { $0 + $1.cache.count(split) }
        let width = try first.file.openDataset(FeatureCacheSchema.sample(split)).stringWidth ?? 1
        for (name, shape, type) in [(FeatureCacheSchema.audio(split), first.audioShape, HDF5File.ElementType.float32),
                                    (FeatureCacheSchema.depth(split), first.depthShape, .float32),
                                    (FeatureCacheSchema.sample(split), [], .string(width: width))] {
            var row = 0
            var sources: [HDF5File.VirtualSource] = []
            for shard in shards {
                let n = shard.cache.count(split)
                if name.hasSuffix("sample"), try shard.cache.file.openDataset(name).stringWidth != width {
                    throw CacheError.cacheMismatch(path: shard.cache.path.path, reason: "its \(name) ids are not \(width) bytes wide like shard 0's")
                }
                sources.append(.init(file: "shards/" + shard.name, dataset: name, rows: row..<(row + n)))
                row += n
            }
            try out.createVirtualDataset(name, type: type, shape: [total] + shape, sources: sources)
        }
    }

    /// The split's datasets copied row by row into ordinary chunked datasets.
    static func copySplit(_ split: Split, from shards: [OpenShard], into out: HDF5File) throws {
        let first = shards[0].cache
        let total = shards.reduce(0) { $0 + $1.cache.count(split) }
        let width = try first.file.openDataset(FeatureCacheSchema.sample(split)).stringWidth ?? 1
        let audio = try out.createFloatDataset(FeatureCacheSchema.audio(split), shape: [total] + first.audioShape)
        let depth = try out.createFloatDataset(FeatureCacheSchema.depth(split), shape: [total] + first.depthShape)
        let ids = try out.createStringDataset(FeatureCacheSchema.sample(split), count: total, maxLength: width)
        defer { audio.close(); depth.close(); ids.close() }
        var row = 0
        let block = 32
        var a = [Float](repeating: 0, count: block * first.audioSize), d = [Float](repeating: 0, count: block * first.depthSize)
        for shard in shards {
            let n = shard.cache.count(split)
            guard n > 0 else { continue }
            try ids.writeStrings(try shard.cache.sampleIds(split), start: row)
            for s in stride(from: 0, to: n, by: block) {
                let m = min(block, n - s)
                try a.withUnsafeMutableBufferPointer { ab in
                    try d.withUnsafeMutableBufferPointer { db in
                        try shard.cache.read(split, s, count: m, audio: ab, depth: db)
                        try audio.writeRows(row + s, count: m, UnsafeBufferPointer(rebasing: ab[0..<(m * first.audioSize)]))
                        try depth.writeRows(row + s, count: m, UnsafeBufferPointer(rebasing: db[0..<(m * first.depthSize)]))
                    }
                }
            }
            row += n
        }
    }

    /// A merged cache reads its shards' files: refuses it when one is gone or unfinished
    /// (HDF5 would quietly read zeros for a missing source), or when a dataset reads a file
    /// outside the cache's folder. The mappings are read from the datasets themselves, not
    /// trusted from an attribute.
    static func checkSources(of file: HDF5File, at path: URL) throws {
        let folder = path.deletingLastPathComponent()
        let resolvedFolder = folder.resolvingSymlinksInPath().path
        func refuse(_ reason: String) -> CacheError { .cacheMismatch(path: path.path, reason: reason) }
        var sources: [String: Set<String>] = [:]  // file -> the datasets read from it
        var readers: [String: String] = [:]       // "file:dataset" -> the virtual dataset reading it
        for split in Split.allCases {
            for name in [FeatureCacheSchema.audio(split), FeatureCacheSchema.depth(split), FeatureCacheSchema.sample(split)] where file.exists(name) {
                for source in try file.openDataset(name).virtualSources {
                    sources[source.file, default: []].insert(source.dataset)
                    readers["\(source.file):\(source.dataset)"] = name
                }
            }
        }
        for rel in sources.keys.sorted() {
            guard !rel.isEmpty, !rel.hasPrefix("/"), rel != ".", !rel.split(separator: "/").contains("..") else {
                throw refuse("a virtual dataset reads \(quoted(rel)), outside the cache's folder: refused")
            }
            let url = folder.appendingPathComponent(rel)
            let resolved = url.resolvingSymlinksInPath().path
            guard resolved.hasPrefix(resolvedFolder + "/") else {
                throw refuse("a virtual dataset reads \(quoted(rel)), a link to \(quoted(resolved)) outside the cache's folder: refused")
            }
            guard FileManager.default.fileExists(atPath: url.path),
                  let source = try? HDF5File(path: url.path, mode: .readOnly), source.intAttribute("complete") == 1 else {
                throw refuse("this merged cache reads \(rel), which is missing or unfinished: restore the shard, or featurize and merge again")
            }
            // What HDF5 reads through the virtual dataset must itself be stored in the source file.
            for dataset in sources[rel, default: []].sorted() {
                let reader = readers["\(rel):\(dataset)"] ?? "?"
                let opened: HDF5Dataset
                do { opened = try source.openDataset(dataset) } catch {
                    throw refuse("\(reader) reads \(quoted(rel)):\(quoted(dataset)), which is not a dataset stored in that file (\(plainReason(error))): refused")
                }
                guard !opened.isVirtual else {
                    throw refuse("\(reader) reads \(quoted(rel)):\(quoted(dataset)), itself a virtual dataset (a shard holds its data): refused")
                }
            }
        }
    }
}

extension FeatureCache {
    /// Whether the datasets are virtual (a merge without --copy).
    public var isVirtual: Bool { !(file.stringAttribute(CacheMerge.sourcesAttribute) ?? "").isEmpty }
}
