import Foundation

/// Reads every sample a dataset's CSVs list, checks its files and builds the manifest.
/// Broken samples become problems; the rest is still ingested.
public struct Ingestor {
    public var kind: DatasetKind
    public var root: DatasetRoot
    public var blacklist: [String]
    public var showProgress: Bool

    /// The sample rate every Batvision recording has.
    public static let sampleRate = 44100

    public init(kind: DatasetKind, root: DatasetRoot, blacklist: [String] = [], showProgress: Bool = isatty(STDERR_FILENO) != 0) {
        self.kind = kind
        self.root = root
        self.blacklist = blacklist
        self.showProgress = showProgress
    }

    public func run() throws -> Manifest {
        let listing = try DatasetLayout(kind: kind, root: root, blacklist: Set(blacklist)).list()
        var problems = listing.problems.map {
            Problem(id: $0.id, csv: $0.csv, line: $0.line, file: nil, kind: $0.kind, message: $0.message, files: [])
        }
        let indexFiles = try listing.indexFiles.map { rel -> FileRecord in
            let data = try readFile(root.url(relative: rel))
            return FileRecord(path: rel, bytes: data.count, sha256: sha256Hex(data))
        }
        let progress = ProgressReporter(label: "ingest", total: listing.samples.count, enabled: showProgress)
        let outcomes = parallelMap(listing.samples.count) { i -> Result<SampleRecord, SampleFailure> in
            defer { progress.advance() }
            return inspect(listing.samples[i])
        }
        progress.finish()
        var samples: [SampleRecord] = []
        for outcome in outcomes {
            switch outcome {
            case let .success(record): samples.append(record)
            case let .failure(failure): problems.append(contentsOf: failure.problems)
            }
        }
        let formatter = ISO8601DateFormatter()
        return Manifest(dataset: kind, datasetDir: root.url.path, locationBlacklist: blacklist.sorted(),
                        created: formatter.string(from: Date()), indexFiles: indexFiles,
                        samples: samples, problems: problems)
    }

    struct SampleFailure: Error { var problems: [Problem] }

    /// Reads, hashes and checks one sample's files.
    func inspect(_ ref: SampleRef) -> Result<SampleRecord, SampleFailure> {
        var problems: [Problem] = []
        let allFiles = ref.audio + [ref.depth]
        func problem(_ kind: ProblemKind, _ file: String?, _ message: String) {
            problems.append(Problem(id: ref.id, csv: ref.csv, line: ref.line, file: file, kind: kind,
                                    message: message, files: allFiles))
        }
        func load(_ rel: String) -> (FileRecord, Data)? {
            let url = root.url(relative: rel)
            guard FileManager.default.fileExists(atPath: url.path) else {
                problem(.missingFile, rel, "\(rel) does not exist (listed in \(ref.csv), line \(ref.line))")
                return nil
            }
            do {
                let data = try readFile(url)
                return (FileRecord(path: rel, bytes: data.count, sha256: sha256Hex(data)), data)
            } catch {
                problem(.unreadable, rel, "\(error)")
                return nil
            }
        }

        // Audio.
        var audioRecords: [FileRecord] = []
        var audioInfo: AudioInfo?
        switch kind {
        case .batvisionv2:
            if let rel = ref.audio.first, let (record, data) = load(rel) {
                audioRecords.append(record)
                do {
                    let clip = try AudioDecoder.decode(data, path: rel)
                    audioInfo = AudioInfo(channels: clip.channels, sampleRate: clip.sampleRate, frames: clip.frames, dtype: clip.encoding)
                    if clip.channels != 2 { problem(.inconsistent, rel, "\(rel): \(clip.channels) channel(s), expected 2 (binaural)") }
                    if clip.sampleRate != Self.sampleRate { problem(.inconsistent, rel, "\(rel): sample rate \(clip.sampleRate) Hz, expected \(Self.sampleRate)") }
                    if clip.frames == 0 { problem(.corruptAudio, rel, "\(rel): no audio frames") }
                } catch {
                    problem(.corruptAudio, rel, "\(error)")
                }
            }
        case .batvisionv1:
            var lengths: [Int] = []
            var dtypes: [String] = []
            for rel in ref.audio {
                guard let (record, data) = load(rel) else { continue }
                audioRecords.append(record)
                do {
                    let arr = try NPYArray(data: data, path: rel)
                    let frames = arr.shape.count == 1 ? arr.shape[0] : (arr.shape.count == 2 && arr.shape.contains(1) ? arr.count : -1)
                    if frames < 0 {
                        problem(.corruptAudio, rel, "\(rel): audio array has shape \(arr.shape), expected 1-D")
                    } else if frames == 0 {
                        problem(.corruptAudio, rel, "\(rel): no audio samples")
                    } else {
                        lengths.append(frames)
                        dtypes.append(arr.dtype.name)
                    }
                } catch {
                    problem(.corruptAudio, rel, "\(error)")
                }
            }
            if lengths.count == 2 {
                if lengths[0] != lengths[1] {
                    problem(.inconsistent, ref.audio[1], "ears have different lengths: left \(lengths[0]) samples (\(ref.audio[0])), right \(lengths[1]) (\(ref.audio[1]))")
                }
                audioInfo = AudioInfo(channels: 2, sampleRate: Self.sampleRate, frames: lengths[0], dtype: dtypes[0])
            }
        }

        // Depth.
        var depthRecord: FileRecord?
        var depthInfo: DepthInfo?
        if let (record, data) = load(ref.depth) {
            depthRecord = record
            do {
                let arr = try NPYArray(data: data, path: ref.depth)
                if arr.shape.count != 2 {
                    problem(.inconsistent, ref.depth, "\(ref.depth): depth has shape \(arr.shape), expected 2-D (height, width)")
                } else if arr.count == 0 {
                    problem(.corruptDepth, ref.depth, "\(ref.depth): depth map is empty")
                } else {
                    depthInfo = Self.depthStatistics(arr)
                }
            } catch {
                problem(.corruptDepth, ref.depth, "\(error)")
            }
        }

        guard problems.isEmpty, let audioInfo, let depthRecord, let depthInfo, audioRecords.count == ref.audio.count else {
            return .failure(SampleFailure(problems: problems))
        }
        return .success(SampleRecord(id: ref.id, split: ref.split, location: ref.location, csv: ref.csv, line: ref.line,
                                     audio: audioRecords, depth: depthRecord, audioInfo: audioInfo, depthInfo: depthInfo))
    }

    static func depthStatistics(_ arr: NPYArray) -> DepthInfo {
        let values = arr.floats()
        var invalid = 0
        var lo = Float.infinity
        var hi = -Float.infinity
        for v in values {
            if v.isFinite && v > 0 {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            } else {
                invalid += 1
            }
        }
        let anyValid = invalid < values.count
        return DepthInfo(height: arr.shape[0], width: arr.shape[1], dtype: arr.dtype.name,
                         invalidFraction: Double(invalid) / Double(values.count),
                         min: anyValid ? Double(lo) : nil, max: anyValid ? Double(hi) : nil)
    }
}
