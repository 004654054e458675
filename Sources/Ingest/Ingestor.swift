import Foundation
import Support

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
        let outcomes = Parallelism.allCores.map(listing.samples.count) { i -> Result<SampleRecord, SampleFailure> in
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

    /// One sample's problems as it is inspected, each naming the sample, its CSV row and files.
    struct Findings {
        let ref: SampleRef
        var problems: [Problem] = []

        mutating func add(_ kind: ProblemKind, _ file: String?, _ message: String) {
            problems.append(Problem(id: ref.id, csv: ref.csv, line: ref.line, file: file, kind: kind,
                                    message: message, files: ref.audio + [ref.depth]))
        }
    }

    /// Reads, hashes and checks one sample's files.
    func inspect(_ ref: SampleRef) -> Result<SampleRecord, SampleFailure> {
        var findings = Findings(ref: ref)
        let (audioRecords, audioInfo) = kind == .batvisionv2 ? inspectV2Audio(ref, &findings) : inspectV1Audio(ref, &findings)
        let depth = inspectDepth(ref, &findings)
        guard findings.problems.isEmpty, let audioInfo, let (depthRecord, depthInfo) = depth,
              audioRecords.count == ref.audio.count else {
            return .failure(SampleFailure(problems: findings.problems))
        }
        return .success(SampleRecord(id: ref.id, split: ref.split, location: ref.location, csv: ref.csv, line: ref.line,
                                     audio: audioRecords, depth: depthRecord, audioInfo: audioInfo, depthInfo: depthInfo))
    }

    /// A listed file's record (size, SHA-256) and bytes, or nil with the problem recorded.
    func load(_ rel: String, _ findings: inout Findings) -> (FileRecord, Data)? {
        let url = root.url(relative: rel)
        switch PathStatus(url) {
        case .exists: break
        case .missing:
            findings.add(.missingFile, rel, "\(clipped(rel, limit: 300)) does not exist (listed in \(findings.ref.csv), line \(findings.ref.line))")
            return nil
        case let .unreachable(why):
            findings.add(.unreadable, rel, "\(clipped(rel, limit: 300)) cannot be reached: \(why) (listed in \(findings.ref.csv), line \(findings.ref.line))")
            return nil
        }
        do {
            let data = try readFile(url)
            return (FileRecord(path: rel, bytes: data.count, sha256: sha256Hex(data)), data)
        } catch {
            findings.add(.unreadable, rel, "\(error)")
            return nil
        }
    }

    /// V2: one stereo WAV at 44.1 kHz.
    func inspectV2Audio(_ ref: SampleRef, _ findings: inout Findings) -> ([FileRecord], AudioInfo?) {
        guard let rel = ref.audio.first, let (record, data) = load(rel, &findings) else { return ([], nil) }
        do {
            let clip = try AudioDecoder.decode(data, path: rel)
            if clip.channels != 2 { findings.add(.inconsistent, rel, "\(rel): \(clip.channels) channel(s), expected 2 (binaural)") }
            if clip.sampleRate != Self.sampleRate { findings.add(.inconsistent, rel, "\(rel): sample rate \(clip.sampleRate) Hz, expected \(Self.sampleRate)") }
            if clip.frames == 0 { findings.add(.corruptAudio, rel, "\(rel): no audio frames") }
            if let why = Self.nonFinite(clip.samples) { findings.add(.corruptAudio, rel, "\(rel): \(why)") }
            return ([record], AudioInfo(channels: clip.channels, sampleRate: clip.sampleRate, frames: clip.frames, dtype: clip.encoding))
        } catch {
            findings.add(.corruptAudio, rel, "\(error)")
            return ([record], nil)
        }
    }

    /// V1: one 1-D .npy per ear, both of the same length.
    func inspectV1Audio(_ ref: SampleRef, _ findings: inout Findings) -> ([FileRecord], AudioInfo?) {
        var records: [FileRecord] = []
        var lengths: [Int] = []
        var dtypes: [String] = []
        for rel in ref.audio {
            guard let (record, data) = load(rel, &findings) else { continue }
            records.append(record)
            do {
                let arr = try NPYArray(data: data, path: rel)
                let frames = arr.shape.count == 1 ? arr.shape[0] : (arr.shape.count == 2 && arr.shape.contains(1) ? arr.count : -1)
                if frames < 0 {
                    findings.add(.corruptAudio, rel, "\(rel): audio array has shape \(arr.shape), expected 1-D")
                } else if frames == 0 {
                    findings.add(.corruptAudio, rel, "\(rel): no audio samples")
                } else if let why = Self.nonFinite(arr.floats()) {
                    findings.add(.corruptAudio, rel, "\(rel): \(why)")
                } else {
                    lengths.append(frames)
                    dtypes.append(arr.dtype.name)
                }
            } catch {
                findings.add(.corruptAudio, rel, "\(error)")
            }
        }
        guard lengths.count == 2 else { return (records, nil) }
        if lengths[0] != lengths[1] {
            findings.add(.inconsistent, ref.audio[1], "ears have different lengths: left \(lengths[0]) samples (\(ref.audio[0])), right \(lengths[1]) (\(ref.audio[1]))")
        }
        return (records, AudioInfo(channels: 2, sampleRate: Self.sampleRate, frames: lengths[0], dtype: dtypes[0]))
    }

    /// The depth map: a non-empty 2-D .npy, with its statistics.
    func inspectDepth(_ ref: SampleRef, _ findings: inout Findings) -> (FileRecord, DepthInfo)? {
        guard let (record, data) = load(ref.depth, &findings) else { return nil }
        do {
            let arr = try NPYArray(data: data, path: ref.depth)
            if arr.shape.count != 2 {
                findings.add(.inconsistent, ref.depth, "\(ref.depth): depth has shape \(arr.shape), expected 2-D (height, width)")
            } else if arr.count == 0 {
                findings.add(.corruptDepth, ref.depth, "\(ref.depth): depth map is empty")
            } else {
                return (record, Self.depthStatistics(arr))
            }
        } catch {
            findings.add(.corruptDepth, ref.depth, "\(error)")
        }
        return nil
    }

    /// Audio holding NaN or infinite samples is corrupt: no feature of it means anything,
    /// and training on it would stop at the first batch that holds it.
    static func nonFinite(_ samples: [Float]) -> String? {
        let bad = samples.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        return bad == 0 ? nil : "\(bad) of \(samples.count) audio samples are NaN or infinite"
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
