import Foundation
import Ingest

/// Writes featurize's batches into the partial cache on a queue of its own, one at a time,
/// while the next batch is computed: every HDF5 call of the writing stays on that queue.
/// After a batch's rows are written the file is flushed and then `recorded` runs (progress
/// record, progress display), so a record never claims rows that are not on disk.
final class BatchWriter {
    /// What a finished write made true: the rows written and the progress up to them.
    struct Written {
        var rows: Int
        var progress: Featurizer.Progress
    }

    /// A split's audio and depth datasets, open for writing.
    struct SplitDatasets {
        let audio: HDF5Dataset
        let depth: HDF5Dataset
    }

    private let file: HDF5File
    private let recorded: (Written) throws -> Void
    private let queue = DispatchQueue(label: "batvision.featurize.writer")
    private let pending = DispatchGroup()
    private let failure = ErrorBox()
    private var opened: [HDF5Dataset] = []

    init(file: HDF5File, recorded: @escaping (Written) throws -> Void) {
        self.file = file
        self.recorded = recorded
    }

    /// Closes every dataset handle it opened (the file closes only when its last dataset
    /// does, so this comes before the file is closed and renamed).
    func closeDatasets() {
        opened.forEach { $0.close() }
        opened = []
    }

    deinit { closeDatasets() }

    /// Opens a split's datasets (call between writes, after `waitForPrevious`).
    func open(_ split: Split) throws -> SplitDatasets {
        let datasets = SplitDatasets(audio: try file.openDataset(FeatureCacheSchema.audio(split)),
                                     depth: try file.openDataset(FeatureCacheSchema.depth(split)))
        opened += [datasets.audio, datasets.depth]
        return datasets
    }

    /// Waits for the write under way, if any; throws its error.
    func waitForPrevious() throws {
        pending.wait()
        if let e = failure.error { throw e }
    }

    /// Writes rows `rows` of the split from `buffers` (their first `rows.count` rows), then
    /// flushes and records `progress`. `buffers` must not be computed into before the next
    /// `waitForPrevious`.
    func write(_ buffers: BatchBuffers, rows: Range<Int>, to datasets: SplitDatasets, sizes: (audio: Int, depth: Int),
               then progress: Featurizer.Progress) {
        pending.enter()
        queue.async { [file, recorded, failure, pending] in
            defer { pending.leave() }
            do {
                let n = rows.count
                try datasets.audio.writeRows(rows.lowerBound, count: n, UnsafeBufferPointer(rebasing: buffers.audio[0..<(n * sizes.audio)]))
                try datasets.depth.writeRows(rows.lowerBound, count: n, UnsafeBufferPointer(rebasing: buffers.depth[0..<(n * sizes.depth)]))
                try file.flush()
                try recorded(Written(rows: n, progress: progress))
            } catch {
                failure.error = error
            }
        }
    }

    /// The writer queue's error, read by the caller's thread after waiting for it.
    final class ErrorBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Error?
        var error: Error? {
            get { lock.lock(); defer { lock.unlock() }; return stored }
            set { lock.lock(); stored = newValue; lock.unlock() }
        }
    }
}

/// One batch's feature rows, allocated once and reused: `audio` [batch, audio size] and
/// `depth` [batch, depth size].
final class BatchBuffers: @unchecked Sendable {
    let audio: UnsafeMutableBufferPointer<Float>
    let depth: UnsafeMutableBufferPointer<Float>

    init(audio: Int, depth: Int) {
        self.audio = .allocate(capacity: audio)
        self.audio.initialize(repeating: 0)
        self.depth = .allocate(capacity: depth)
        self.depth.initialize(repeating: 0)
    }

    deinit {
        audio.deallocate()
        depth.deallocate()
    }
}
