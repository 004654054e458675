import Foundation
import Support

/// The dataset card behind `batvision stats`: per split and location, the recordings'
/// length, loudness, clipping and echo onset, the depth maps' coverage and range, and
/// exact duplicates (the same audio or depth bytes twice; across splits that is leakage).
public struct DatasetStatistics: Codable, Sendable {
    /// min, 5th percentile, median, 95th percentile, max and mean of a quantity.
    public struct Distribution: Codable, Sendable, Equatable {
        public var count: Int
        public var min: Double, p05: Double, median: Double, p95: Double, max: Double, mean: Double

        public init(_ values: [Double]) {
            let v = values.filter(\.isFinite).sorted()
            count = v.count
            func q(_ f: Double) -> Double { v.isEmpty ? .nan : v[Swift.min(v.count - 1, Int((f * Double(v.count - 1)).rounded()))] }
            min = v.first ?? .nan
            max = v.last ?? .nan
            p05 = q(0.05)
            median = q(0.5)
            p95 = q(0.95)
            mean = v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
        }
    }

    /// One group of samples (a split, a location, or all).
    public struct Group: Codable, Sendable {
        public var samples: Int
        public var audioSeconds: Distribution
        public var rms: Distribution
        public var peak: Distribution
        public var clippedFraction: Distribution
        public var onsetMs: Distribution
        public var depthValidFraction: Distribution
        public var depthMetres: Distribution
        /// Valid depth pixels per `histogramBinMetres` bin from 0 (the last bin holds the rest).
        public var depthHistogram: [Int]
    }

    /// The same bytes under several samples.
    public struct Duplicate: Codable, Sendable, Equatable {
        public var kind: String       // "audio" or "depth"
        public var sha256: String
        public var samples: [String]
        public var splits: [String]
        /// Across splits: a sample shared by train and test leaks the test set.
        public var leaks: Bool
    }

    public var dataset: String
    public var manifestDigest: String
    public var onsetThreshold: Double
    public var clipLevel: Double
    public var histogramBinMetres: Double
    public var all: Group
    public var perSplit: [String: Group]
    public var perLocation: [String: Group]
    public var duplicates: [Duplicate]
    /// Every sample's figures, for the card's histograms.
    public var samples: [SampleSummary]

    public struct SampleSummary: Codable, Sendable {
        public var id: String
        public var split: String
        public var location: String?
        public var seconds: Double, rms: Double, peak: Double, clippedFraction: Double
        public var onsetMs: Double?
        public var depthValidFraction: Double
    }

    /// The findings: duplicates across splits.
    public var leakage: [Duplicate] { duplicates.filter(\.leaks) }

    /// One sample's measurements.
    public struct SampleMeasures: Sendable {
        public var id: String
        public var split: Split
        public var location: String?
        public var seconds = 0.0, rms = 0.0, peak = 0.0, clipped = 0.0, onsetMs = Double.nan
        public var validFraction = 0.0
        public var depths: [Double] = []   // valid depth in metres, subsampled
    }

    /// Measures every sample of `manifest` (files read from `root`) on every core.
    public static func compute(manifest: Manifest, root: DatasetRoot, onsetThreshold: Double = 0.1, clipLevel: Double = 0.999,
                               histogramBinMetres: Double = 0.5, parallelism: Parallelism = .allCores) throws -> DatasetStatistics {
        let outcomes = parallelism.map(manifest.samples.count) { i -> Result<SampleMeasures, Error> in
            Result { try measure(manifest.samples[i], kind: manifest.dataset, root: root, onsetThreshold: onsetThreshold, clipLevel: clipLevel) }
        }
        let measures = try outcomes.map { try $0.get() }
        func group(_ m: [SampleMeasures]) -> Group {
            let depths = m.flatMap(\.depths)
            // At most 400 bins; deeper (or absurd) depth joins the last one.
            let top = Swift.min(400.0, Swift.max(1, ((depths.max() ?? 0) / histogramBinMetres).rounded(.up)))
            var histogram = [Int](repeating: 0, count: Int(top))
            for d in depths { histogram[Int(Swift.min(Double(histogram.count - 1), Swift.max(0, d / histogramBinMetres)))] += 1 }
            return Group(samples: m.count, audioSeconds: Distribution(m.map(\.seconds)), rms: Distribution(m.map(\.rms)),
                         peak: Distribution(m.map(\.peak)), clippedFraction: Distribution(m.map(\.clipped)),
                         onsetMs: Distribution(m.map(\.onsetMs)), depthValidFraction: Distribution(m.map(\.validFraction)),
                         depthMetres: Distribution(depths), depthHistogram: histogram)
        }
        var perSplit: [String: Group] = [:], perLocation: [String: Group] = [:]
        for split in Split.allCases {
            let m = measures.filter { $0.split == split }
            if !m.isEmpty { perSplit[split.rawValue] = group(m) }
        }
        for location in Set(measures.compactMap(\.location)) { perLocation[location] = group(measures.filter { $0.location == location }) }
        return DatasetStatistics(dataset: manifest.dataset.rawValue, manifestDigest: manifest.digest, onsetThreshold: onsetThreshold,
                                 clipLevel: clipLevel, histogramBinMetres: histogramBinMetres, all: group(measures),
                                 perSplit: perSplit, perLocation: perLocation, duplicates: duplicates(manifest),
                                 samples: measures.map { SampleSummary(id: $0.id, split: $0.split.rawValue, location: $0.location,
                                                                       seconds: $0.seconds, rms: $0.rms, peak: $0.peak,
                                                                       clippedFraction: $0.clipped, onsetMs: $0.onsetMs.isNaN ? nil : $0.onsetMs,
                                                                       depthValidFraction: $0.validFraction) })
    }

    /// Samples sharing audio or depth bytes (by the manifest's SHA-256).
    static func duplicates(_ manifest: Manifest) -> [Duplicate] {
        var out: [Duplicate] = []
        for kind in ["audio", "depth"] {
            var bySha: [String: [SampleRecord]] = [:]
            for s in manifest.samples {
                let key = kind == "audio" ? s.audio.map(\.sha256).joined(separator: "+") : s.depth.sha256
                bySha[key, default: []].append(s)
            }
            for (sha, samples) in bySha where samples.count > 1 {
                let splits = Set(samples.map(\.split.rawValue)).sorted()
                out.append(Duplicate(kind: kind, sha256: sha, samples: samples.map(\.id).sorted(), splits: splits, leaks: splits.count > 1))
            }
        }
        return out.sorted { ($0.leaks ? 0 : 1, $0.kind, $0.samples.first ?? "") < ($1.leaks ? 0 : 1, $1.kind, $1.samples.first ?? "") }
    }

    /// Reads one sample's files and measures them.
    static func measure(_ sample: SampleRecord, kind: DatasetKind, root: DatasetRoot, onsetThreshold: Double,
                        clipLevel: Double) throws -> SampleMeasures {
        var m = SampleMeasures(id: sample.id, split: sample.split, location: sample.location)
        let ears = kind.audioFilesPerSample
        guard sample.audio.count == ears else {
            throw IngestError.manifest(path: sample.id, reason: "lists \(sample.audio.count) audio file(s), \(kind.rawValue) has \(ears): run ingest again")
        }
        var channels: [[Float]] = []
        switch kind {
        case .batvisionv2:
            let clip = try AudioDecoder.decode(contentsOf: try root.checkedURL(relative: sample.audio[0].path))
            channels = (0..<clip.channels).map { Array(clip.channel($0)) }
        case .batvisionv1:
            channels = try sample.audio.map { try NPYArray(contentsOf: try root.checkedURL(relative: $0.path)).floats() }
        }
        let frames = channels.map(\.count).min() ?? 0
        m.seconds = Double(frames) / Double(sample.audioInfo.sampleRate > 0 ? sample.audioInfo.sampleRate : 44100)
        var sumSq = 0.0, peak = 0.0, clipped = 0
        var loudest = [Double](repeating: 0, count: frames)
        for ch in channels {
            for i in 0..<frames {
                let a = Double(abs(ch[i]))
                sumSq += a * a
                peak = Swift.max(peak, a)
                if a >= clipLevel { clipped += 1 }
                loudest[i] = Swift.max(loudest[i], a)
            }
        }
        let total = Double(Swift.max(1, frames * channels.count))
        m.rms = (sumSq / total).squareRoot()
        m.peak = peak
        m.clipped = Double(clipped) / total
        if peak > 0, let first = loudest.firstIndex(where: { $0 >= onsetThreshold * peak }) {
            m.onsetMs = Double(first) / Double(sample.audioInfo.sampleRate > 0 ? sample.audioInfo.sampleRate : 44100) * 1000
        }
        let depth = try NPYArray(contentsOf: try root.checkedURL(relative: sample.depth.path)).floats()
        let valid = depth.filter { $0.isFinite && $0 > 0 }
        m.validFraction = depth.isEmpty ? 0 : Double(valid.count) / Double(depth.count)
        // At most ~4096 valid pixels per map for the distributions and histogram.
        let step = Swift.max(1, valid.count / 4096)
        m.depths = stride(from: 0, to: valid.count, by: step).map { Double(valid[$0]) / 1000 }
        return m
    }
}
