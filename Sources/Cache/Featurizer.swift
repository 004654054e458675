import Foundation
import Ingest
import Support

/// Builds the feature cache of a manifest for one feature config (SPEC section 3).
///
/// Crash safety: the cache is written as `features.h5.partial`, with every chunk allocated
/// up front so that writing samples never touches HDF5 metadata; after each batch the file
/// is flushed and `progress.json` (written atomically) records how many samples of each
/// split are on disk. A rerun resumes from there; the finished file is renamed to
/// `features.h5` only after `complete = 1` is written and flushed, so no reader ever sees
/// an incomplete cache under the final name. A lock file keeps a second featurize of the
/// same cache (or shard) out while one writes it.
///
/// Sharded (`shard`): the same, for shard K of N of the samples in cache order, into
/// `shards/shard-KKKK-of-NNNN.h5` with the shard's range in its attributes; `CacheMerge`
/// joins the N shards into `features.h5`.
public struct Featurizer {
    public var manifest: Manifest
    public var root: DatasetRoot
    public var config: FeatureConfig
    public var location: CacheLocation
    /// Samples computed in parallel and written between two flushes.
    public var batchSize = 32
    /// Threads computing features (`--threads`).
    public var parallelism: Parallelism = .allCores
    public var showProgress = isatty(STDERR_FILENO) != 0
    /// Called after each flushed batch with the samples done so far (tests stop here).
    public var afterBatch: ((Int) -> Void)?
    /// Compute only this shard of the samples.
    public var shard: ShardSpec?
    /// The manifest's file, for messages.
    public var manifestPath: String?

    public init(manifest: Manifest, root: DatasetRoot, config: FeatureConfig, cacheDir: URL) {
        self.manifest = manifest
        self.root = root
        self.config = config
        location = CacheLocation(cacheDir: cacheDir, config: config, manifestDigest: manifest.digest)
    }

    public struct Summary: Sendable {
        public var path: URL
        public var reused: Bool
        public var resumedFrom: Int
        public var perSplit: [Split: Int]
        public var bytes: Int
        public var seconds: Double
        public var computed: Int
        public var samplesPerSecond: Double { seconds > 0 ? Double(computed) / seconds : 0 }
        /// Of the targets computed: valid pixels, and those the resize invented (between 0
        /// and their map's smallest measured depth: holes averaged in by `reference`).
        public var targetPixels = 0, inventedTargetPixels = 0
    }

    struct Progress: Codable, Equatable {
        var key: String
        var done: [String: Int]
    }

    /// The file this run writes: the whole cache or its shard.
    public var files: CacheFiles { shard.map(location.files(of:)) ?? location.whole }

    /// What a progress record must name to belong to this run's partial file.
    var progressKey: String { location.key + (shard.map { "|shard \($0)" } ?? "") }

    /// The samples this run writes, per split in manifest order: all, or the shard's range
    /// of the samples in cache order (train, val, test).
    func samplesToWrite() -> [Split: [SampleRecord]] {
        let ordered = Split.allCases.flatMap { manifest.samples(in: $0) }
        let chosen = shard.map { Array(ordered[$0.range(of: ordered.count)]) } ?? ordered
        return Dictionary(grouping: chosen, by: \.split)
    }

    /// Waveform length shared by every sample (the shortest, after the cut).
    var waveformLength: Int {
        manifest.samples.map { config.window(frames: $0.audioInfo.frames).count }.min() ?? 0
    }

    func audioShape() -> [Int] {
        config.audioFormat == .waveform ? [2, waveformLength] : [2, config.imagesSize, config.imagesSize]
    }

    public func run(force: Bool = false) throws -> Summary {
        let fm = FileManager.default
        let start = Date()
        let files = self.files
        // A finished file is only ever read (it appears whole, by rename): reusing it needs
        // no write lock, so a cache on a read-only file system is reused as it is.
        if !force, fm.fileExists(atPath: files.file.path) { return try reuse(files.file) }
        let lock = try FileLock(files.lock, purpose: "writing this \(shard == nil ? "cache" : "shard")")
        defer { lock.release() }
        if let shard { try checkSiblingShards(shard) }
        if force {
            for url in [files.file, files.partial, files.progress] where fm.fileExists(atPath: url.path) {
                do { try fm.removeItem(at: url) } catch {
                    throw FileError.write(path: url.path, reason: "--force cannot remove it: \(plainReason(error))")
                }
            }
        }
        // Finished by another featurize between the check above and the lock.
        if fm.fileExists(atPath: files.file.path) { return try reuse(files.file) }
        let splits = samplesToWrite()
        try checkAudioLengths(splits.values.flatMap { $0 })
        try checkBatchMemory()
        try createDirectory(files.file.deletingLastPathComponent())
        let (file, progress) = try openOrCreate(splits: splits)
        let resumedFrom = progress.done.values.reduce(0, +)
        let (computed, targets) = try writeAll(splits, into: file, from: progress)
        try finish(file)
        var perSplit: [Split: Int] = [:]
        for s in Split.allCases { perSplit[s] = splits[s]?.count ?? 0 }
        var summary = Summary(path: files.file, reused: false, resumedFrom: resumedFrom, perSplit: perSplit,
                              bytes: fileSize(files.file), seconds: Date().timeIntervalSince(start), computed: computed)
        (summary.targetPixels, summary.inventedTargetPixels) = targets
        return summary
    }

    /// The summary of a finished file, which is reused as it is once it proves to be of
    /// this manifest, config and shard.
    private func reuse(_ url: URL) throws -> Summary {
        let cache = try FeatureCache(path: url)
        var mismatch: [String] = []
        if cache.config != config { mismatch.append("its feature settings differ") }
        if cache.manifestDigest != manifest.digest { mismatch.append("it was built from another manifest (digest \(cache.manifestDigest.prefix(16)))") }
        let fileShard = cache.shard
        if fileShard != shard {
            mismatch.append("it is \(fileShard.map { "shard \($0)" } ?? "a whole cache"), not \(shard.map { "shard \($0)" } ?? "a whole cache")")
        }
        guard mismatch.isEmpty else {
            throw CacheError.cacheMismatch(path: url.path, reason: mismatch.joined(separator: "; ") + ": remove it or pass --force")
        }
        var perSplit: [Split: Int] = [:]
        for s in Split.allCases { perSplit[s] = cache.count(s) }
        return Summary(path: url, reused: true, resumedFrom: 0, perSplit: perSplit, bytes: fileSize(url), seconds: 0, computed: 0)
    }

    /// Shards of one cache must all cut the samples the same way: refuses K/N when the
    /// shards folder holds shards of another N.
    private func checkSiblingShards(_ shard: ShardSpec) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: location.shardsDirectory.path)) ?? []
        let others = Set(names.compactMap { CacheMerge.shardCount(fromName: $0) }).subtracting([shard.count])
        guard others.isEmpty else {
            throw CacheError.cacheMismatch(path: location.shardsDirectory.path,
                                           reason: "it holds shards of N = \(others.sorted().map(String.init).joined(separator: ", ")), not \(shard.count): finish and merge those with --shard K/\(others.sorted()[0]), or remove them")
        }
    }

    /// Two batches of rows live in memory: refused, with what fits, before any file is made.
    func checkBatchMemory() throws {
        let audioSize = audioShape().reduce(1, *), depthSize = config.depthShape.reduce(1, *)
        let batchBytes = 2 * 4 * Double(audioSize + depthSize)
        let available = Double(ProcessInfo.processInfo.physicalMemory) / 2
        guard batchBytes * Double(batchSize) <= available else {
            throw CacheError.config(String(format: "--flush_every %d needs %.1f GB for two batches of %@ features; this machine allows %.1f GB: use --flush_every %d or less",
                                           batchSize, batchBytes * Double(batchSize) / 1e9, "\(audioShape())", available / 1e9,
                                           max(0, Int(available / batchBytes))))
        }
    }

    /// Every recording must be long enough for the STFT's reflect padding: refuses, before
    /// any work, naming each short sample and its file.
    func checkAudioLengths(_ samples: [SampleRecord]) throws {
        guard config.audioFormat != .waveform else { return }
        let minimum = config.stft.nFFT / 2 + 1
        let short = samples.filter { config.window(frames: $0.audioInfo.frames).count < minimum }
        guard !short.isEmpty else { return }
        let listed = short.prefix(10).map { "\($0.id) (\($0.audio.map(\.path).joined(separator: ", ")): \($0.audioInfo.frames) samples)" }
        throw CacheError.config("\(short.count) recording(s) are shorter than the \(minimum) samples the STFT needs (n_fft \(config.stft.nFFT)): " + listed.joined(separator: "; ") + (short.count > 10 ? "; ..." : "") + ". Remove their rows from the split CSVs and run ingest again, lower --audio_offset, or use --audio_format waveform")
    }

    /// Computes and writes every sample not yet in the partial file, batch by batch: each
    /// batch is computed on every core into one of two sets of buffers while the previous
    /// one is written from the other (`BatchWriter`); then marks the file complete.
    /// Returns how many samples it computed, and their valid and invented target pixels.
    private func writeAll(_ splits: [Split: [SampleRecord]], into file: HDF5File,
                          from progress: Progress) throws -> (samples: Int, targets: (valid: Int, invented: Int)) {
        let extractor = FeatureExtractor(config: config)
        let reporter = ProgressReporter(label: "featurize", total: manifest.samples.count, enabled: showProgress)
        reporter.advance(by: progress.done.values.reduce(0, +))
        defer { reporter.finish() }
        let audioSize = audioShape().reduce(1, *), depthSize = config.depthShape.reduce(1, *)
        let workspaces = (0..<parallelism.workers).map { _ in extractor.makeWorkspace() }
        // Owned buffers, not arrays: a write still holding an array would make the next
        // compute into it copy all of it (copy-on-write), on the main thread.
        let buffers = (0..<2).map { _ in BatchBuffers(audio: batchSize * audioSize, depth: batchSize * depthSize) }
        let writer = BatchWriter(file: file) { written in
            try writeProgress(written.progress)
            reporter.advance(by: written.rows)
            afterBatch?(written.progress.done.values.reduce(0, +))
        }
        defer { writer.closeDatasets() }
        var state = progress, computed = 0, current = 0
        do {
            for split in Split.allCases {
                let samples = splits[split] ?? []
                guard !samples.isEmpty else { continue }
                try writer.waitForPrevious()
                let datasets = try writer.open(split)
                for batch in batches(of: samples.count, after: state.done[split.rawValue] ?? 0) {
                    let target = buffers[current]
                    try computeBatch(Array(samples[batch]), extractor: extractor, workspaces: workspaces, into: target)
                    try writer.waitForPrevious()
                    // The progress this write makes true, recorded only after its flush.
                    state.done[split.rawValue] = batch.upperBound
                    writer.write(target, rows: batch, to: datasets, sizes: (audioSize, depthSize), then: state)
                    computed += batch.count
                    current ^= 1
                }
            }
            try writer.waitForPrevious()
            try file.setAttribute("complete", 1)
            try file.flush()
        } catch {
            try? writer.waitForPrevious()
            throw error
        }
        return (computed, (workspaces.reduce(0) { $0 + $1.targetPixels }, workspaces.reduce(0) { $0 + $1.inventedTargetPixels }))
    }

    /// The batches of `count` samples from `start`: `batchSize` rows each, the last shorter.
    func batches(of count: Int, after start: Int) -> [Range<Int>] {
        stride(from: start, to: count, by: batchSize).map { $0..<min($0 + batchSize, count) }
    }

    /// Closes the complete partial file and renames it to its final name.
    private func finish(_ file: HDF5File) throws {
        let files = self.files
        // Every handle closed before the file: nothing may write to it after the rename.
        file.close()
        do {
            try FileManager.default.moveItem(at: files.partial, to: files.file)
        } catch {
            throw FileError.write(path: files.file.path, reason: plainReason(error))
        }
        try? FileManager.default.removeItem(at: files.progress)
    }

    /// Reopens a partial cache that belongs to this key and whose progress is known, or
    /// starts a new one (a partial file without progress cannot be trusted).
    private func openOrCreate(splits: [Split: [SampleRecord]]) throws -> (HDF5File, Progress) {
        let fm = FileManager.default
        let files = self.files
        if fm.fileExists(atPath: files.partial.path),
           let data = try? readFile(files.progress),
           let progress = try? JSONCoding.decoder().decode(Progress.self, from: data),
           progress.key == progressKey,
           let file = try? HDF5File(path: files.partial.path, mode: .readWrite),
           Split.allCases.allSatisfy({ (progress.done[$0.rawValue] ?? 0) <= (splits[$0]?.count ?? 0) }) {
            return (file, progress)
        }
        try? fm.removeItem(at: files.progress)
        let file = try HDF5File(path: files.partial.path, mode: .create)
        let audioShape = audioShape()
        for split in Split.allCases {
            let samples = splits[split] ?? []
            try file.createGroup("/\(split.rawValue)")
            _ = try file.createFloatDataset(FeatureCacheSchema.audio(split), shape: [samples.count] + audioShape)
            _ = try file.createFloatDataset(FeatureCacheSchema.depth(split), shape: [samples.count] + config.depthShape)
            // The id width of the whole split, so every shard's ids have the merged cache's type.
            let width = manifest.samples(in: split).map { $0.id.utf8.count }.max() ?? 1
            let ids = try file.createStringDataset(FeatureCacheSchema.sample(split), count: samples.count, maxLength: width)
            if !samples.isEmpty { try ids.writeStrings(samples.map(\.id)) }
        }
        try FeatureCacheSchema.write(config, manifestDigest: manifest.digest, into: file)
        if let shard {
            let range = shard.range(of: manifest.samples.count)
            try FeatureCacheSchema.writeShard(shard, samples: range, into: file)
        }
        try file.flush()
        let progress = Progress(key: progressKey, done: Dictionary(uniqueKeysWithValues: Split.allCases.map { ($0.rawValue, 0) }))
        try writeProgress(progress)
        return (file, progress)
    }

    private func writeProgress(_ p: Progress) throws {
        try writeFile(try JSONCoding.encoder().encode(p), to: files.progress)
    }

    /// Features of a batch, computed on every core into rows of `audio` and `depth`.
    /// The first failing sample (in batch order) is the error thrown.
    func computeBatch(_ batch: [SampleRecord], extractor: FeatureExtractor, workspaces: [FeatureExtractor.Workspace],
                      into buffers: BatchBuffers) throws {
        let workers = min(workspaces.count, batch.count)
        let audioSize = buffers.audio.count / batchSize, depthSize = buffers.depth.count / batchSize
        var errors = [Error?](repeating: nil, count: batch.count)
        let (a, d) = (buffers.audio, buffers.depth)
        errors.withUnsafeMutableBufferPointer { errs in
            let errs = errs  // each row is written by exactly one worker
            // Workers take the next sample when they finish one, so a slow sample
            // (a cold file, a long recording) does not leave the other core idle.
            let queue = IndexQueue()
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                while let i = queue.take(below: batch.count) {
                    do {
                        try features(of: batch[i], extractor: extractor, workspace: workspaces[w],
                                     audio: UnsafeMutableBufferPointer(rebasing: a[(i * audioSize)..<((i + 1) * audioSize)]),
                                     depth: UnsafeMutableBufferPointer(rebasing: d[(i * depthSize)..<((i + 1) * depthSize)]))
                    } catch {
                        errs[i] = error
                    }
                }
            }
        }
        // Every changed sample of the batch is named, not only the first.
        let changed = errors.compactMap { error -> [CacheError.ChangedFile]? in
            if case let .changedSince(_, files)? = error as? CacheError { return files }
            return nil
        }.flatMap { $0 }
        if !changed.isEmpty { throw CacheError.changedSince(manifest: manifestName, files: changed) }
        if let error = errors.compactMap({ $0 }).first { throw error }
    }

    /// How errors name the manifest (its file, where the caller said).
    var manifestName: String { manifestPath ?? "the manifest" }

    /// Reads one sample's files and computes its audio features and depth target into
    /// `audio` and `depth`, with the workspace's buffers.
    public func features(of sample: SampleRecord, extractor: FeatureExtractor, workspace ws: FeatureExtractor.Workspace,
                         audio: UnsafeMutableBufferPointer<Float>, depth: UnsafeMutableBufferPointer<Float>) throws {
        func load(_ record: FileRecord, into buffer: inout [UInt8]) throws -> Int {
            let url = try root.checkedURL(relative: record.path)
            let n: Int
            do {
                // No more than the manifest's size: a file that grew is not read whole first.
                n = try readFile(url, into: &buffer, limit: record.bytes)
            } catch let error as FileError {
                throw CacheError.sample(id: sample.id, reason: "\(error.description) (the manifest says \(record.bytes) bytes: the dataset changed since ingest? run `batvision validate`)")
            }
            guard n == record.bytes else {
                throw CacheError.sample(id: sample.id, reason: "\(record.path) is \(n) bytes, the manifest says \(record.bytes): the dataset changed since ingest (run `batvision validate`)")
            }
            // Every byte is read anyway: the cache holds only what ingest hashed.
            let digest = buffer.withUnsafeBytes { sha256Hex(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            guard digest == record.sha256 else {
                throw CacheError.changedSince(manifest: manifestName, files: [.init(sample: sample.id, path: record.path)])
            }
            return n
        }
        let ears = manifest.dataset.audioFilesPerSample
        guard sample.audio.count == ears else {
            throw CacheError.sample(id: sample.id, reason: "the manifest lists \(sample.audio.count) audio file(s), \(manifest.dataset.rawValue) has \(ears): run ingest again")
        }
        switch manifest.dataset {
        case .batvisionv2:
            let n = try load(sample.audio[0], into: &ws.audioBytes)
            try ws.audioBytes.withUnsafeBytes { raw in
                try AudioDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<n]), path: sample.audio[0].path,
                                        into: &ws.clip, scratch: &ws.interleaved)
            }
        case .batvisionv1:
            var ears: [[Float]] = []
            for record in sample.audio {
                let n = try load(record, into: &ws.earBytes)
                ears.append(try NPYArray(data: Data(ws.earBytes[0..<n]), path: record.path).floats())
            }
            let n = min(ears[0].count, ears[1].count)
            ws.clip = AudioClip(channels: 2, sampleRate: FeatureConfig.sampleRate, frames: n, encoding: "npy",
                                samples: Array(ears[0].prefix(n)) + Array(ears[1].prefix(n)))
        }
        try extractor.audio(ws.clip, into: audio, workspace: ws)
        let n = try load(sample.depth, into: &ws.depthBytes)
        // Parse the bytes in place: the Data below lives only inside this closure.
        try ws.depthBytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { throw CacheError.sample(id: sample.id, reason: "\(sample.depth.path) is empty") }
            let depthArr = try NPYArray(data: Data(bytesNoCopy: base, count: n, deallocator: .none), path: sample.depth.path)
            guard depthArr.shape.count == 2, depthArr.count > 0 else {
                throw CacheError.sample(id: sample.id, reason: "\(sample.depth.path): depth has shape \(depthArr.shape), expected 2-D")
            }
            try extractor.depth(depthArr, into: depth, workspace: ws)
        }
        let target = extractor.depthTarget
        let counts = target.invented(in: UnsafeBufferPointer(depth), smallest: target.smallestTargetDepth(millimetres: sample.depthInfo.min))
        ws.targetPixels += counts.valid
        ws.inventedTargetPixels += counts.invented
    }

    /// One sample's tensors as arrays (for checks and tests).
    public func features(of sample: SampleRecord, extractor: FeatureExtractor,
                         workspace ws: FeatureExtractor.Workspace) throws -> ([Float], [Float]) {
        var a = [Float](repeating: 0, count: audioShape().reduce(1, *))
        var d = [Float](repeating: 0, count: config.depthShape.reduce(1, *))
        try a.withUnsafeMutableBufferPointer { ab in
            try d.withUnsafeMutableBufferPointer { db in
                try features(of: sample, extractor: extractor, workspace: ws, audio: ab, depth: db)
            }
        }
        return (a, d)
    }

    private func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
