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

        public init(count: Int, min: Double, p05: Double, median: Double, p95: Double, max: Double, mean: Double) {
            (self.count, self.min, self.p05, self.median, self.p95, self.max, self.mean) = (count, min, p05, median, p95, max, mean)
        }

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
        /// Over every valid pixel of every map: min, max and mean exact, the quantiles those
        /// of the pixels' depths rounded down to whole millimetres (exact for V2's uint16
        /// millimetres), nothing sampled.
        public var depthMetres: Distribution
        /// Valid depth pixels per `histogramBinMetres` bin from 0 (the last bin holds the rest).
        public var depthHistogram: [Int]
        /// Valid and all depth pixels of the group's maps.
        public var depthValidPixels: Int
        public var depthPixels: Int
        /// The reference resize's targets (when measured): their valid pixels, and those
        /// shallower than their map's smallest measured depth (holes averaged in).
        public var targetPixels: Int?
        public var inventedTargetPixels: Int?
    }

    /// Resizes one map (millimetres, height x width, its smallest measured depth) as the
    /// features would and counts its target's valid and invented pixels.
    public typealias TargetCheck = @Sendable (_ millimetres: [Float], _ height: Int, _ width: Int, _ smallest: Double?) -> (valid: Int, invented: Int)

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
    /// The features whose depth targets were counted (`Group.targetPixels`), as the caller
    /// states them; nil when none were.
    public var targetFeatures: String?

    public struct SampleSummary: Codable, Sendable {
        public var id: String
        public var split: String
        public var location: String?
        public var seconds: Double, rms: Double, peak: Double, clippedFraction: Double
        public var onsetMs: Double?
        public var depthValidFraction: Double
        public var targetPixels: Int?
        public var inventedTargetPixels: Int?
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
        public var targets: (valid: Int, invented: Int)?
    }

    /// Valid depth pixels counted without keeping them: exact count, extremes and sum, and a
    /// histogram of whole millimetres (65.535 m and deeper share the last bin, their own
    /// maximum still exact), from which the quantiles come. Groups of samples add tallies,
    /// so `stats` holds a few of these per thread, never the pixels.
    public struct DepthTally: Sendable {
        public static let millimetreBins = 65_536
        public var valid = 0, total = 0
        public var min = Double.infinity, max = -Double.infinity, sum = 0.0
        public var millimetres = [Int](repeating: 0, count: DepthTally.millimetreBins)
        /// The bins that may be non-zero: adding and clearing touch only these.
        var used = 0..<0

        public init() {}

        /// Adds one map's pixels (millimetres as stored; 0, negative, NaN and inf are invalid).
        mutating func add(_ depth: [Float]) {
            total += depth.count
            var lo = used.isEmpty ? Self.millimetreBins : used.lowerBound, hi = used.isEmpty ? 0 : used.upperBound
            for v in depth where v.isFinite && v > 0 {
                let d = Double(v)
                valid += 1
                min = Swift.min(min, d)
                max = Swift.max(max, d)
                sum += d
                let bin = Int(Swift.min(d, Double(Self.millimetreBins - 1)))  // clamp before Int(): 1e30 mm is a finite Float
                millimetres[bin] += 1
                lo = Swift.min(lo, bin)
                hi = Swift.max(hi, bin + 1)
            }
            if lo < hi { used = lo..<hi }
        }

        mutating func add(_ other: DepthTally) {
            valid += other.valid
            total += other.total
            min = Swift.min(min, other.min)
            max = Swift.max(max, other.max)
            sum += other.sum
            guard !other.used.isEmpty else { return }
            for i in other.used { millimetres[i] += other.millimetres[i] }
            used = used.isEmpty ? other.used : Swift.min(used.lowerBound, other.used.lowerBound)..<Swift.max(used.upperBound, other.used.upperBound)
        }

        /// Back to empty, keeping the histogram's storage.
        mutating func clear() {
            for i in used { millimetres[i] = 0 }
            (valid, total, min, max, sum, used) = (0, 0, .infinity, -.infinity, 0, 0..<0)
        }

        /// In metres: exact min, max and mean; quantiles by the same nearest rank as
        /// `Distribution`, read off the millimetre histogram.
        var distribution: Distribution {
            guard valid > 0 else { return Distribution([]) }
            func quantile(_ f: Double) -> Double {
                let rank = Swift.min(valid - 1, Int((f * Double(valid - 1)).rounded()))
                var seen = 0
                for (bin, n) in millimetres.enumerated() {
                    seen += n
                    // The extremes' own bins hold the extremes themselves.
                    if seen > rank { return rank == 0 ? min / 1000 : (rank == valid - 1 ? max / 1000 : Double(bin) / 1000) }
                }
                return max / 1000
            }
            return Distribution(count: valid, min: min / 1000, p05: quantile(0.05), median: quantile(0.5), p95: quantile(0.95),
                                max: max / 1000, mean: sum / Double(valid) / 1000)
        }

        /// Valid pixels per `binMetres` bin from 0; at most 400 bins, the last holding the rest.
        func histogram(binMetres: Double) -> [Int] {
            guard valid > 0 else { return [0] }
            let top = Int(Swift.min(400.0, Swift.max(1, (max / 1000 / binMetres).rounded(.up))))
            var out = [Int](repeating: 0, count: top)
            for (bin, n) in millimetres.enumerated() where n != 0 {
                out[Swift.min(top - 1, Int(Double(bin) / 1000 / binMetres))] += n
            }
            return out
        }
    }

    /// Measures every sample of `manifest` (files read from `root`) on every core. Memory
    /// holds one small summary per sample and, per thread, the groups' depth tallies, never
    /// the samples' pixels: flat in the dataset's size. `progress` is told of each sample.
    public static func compute(manifest: Manifest, root: DatasetRoot, onsetThreshold: Double = 0.1, clipLevel: Double = 0.999,
                               histogramBinMetres: Double = 0.5, parallelism: Parallelism = .allCores,
                               progress: ProgressReporter? = nil, targets: TargetCheck? = nil) throws -> DatasetStatistics {
        let n = manifest.samples.count
        let workers = Swift.max(1, Swift.min(parallelism.workers, n))
        var summaries = [SampleSummary?](repeating: nil, count: n)
        var errors = [Error?](repeating: nil, count: n)
        // "all", "split:<name>", "location:<name>" -> tally, one dictionary per thread.
        var threadTallies = [[String: DepthTally]](repeating: [:], count: workers)
        let queue = IndexQueue()
        summaries.withUnsafeMutableBufferPointer { out in
            errors.withUnsafeMutableBufferPointer { errs in
                threadTallies.withUnsafeMutableBufferPointer { tallies in
                    let (out, errs, tallies) = (out, errs, tallies)  // each slot written by one thread
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        var sampleDepth = DepthTally()
                        while let i = queue.take(below: n) {
                            defer { progress?.advance() }
                            do {
                                let m = try measure(manifest.samples[i], kind: manifest.dataset, root: root, onsetThreshold: onsetThreshold,
                                                    clipLevel: clipLevel, depth: &sampleDepth, targets: targets)
                                for key in ["all", "split:\(m.split.rawValue)"] + (m.location.map { ["location:\($0)"] } ?? []) {
                                    tallies[w][key, default: DepthTally()].add(sampleDepth)
                                }
                                sampleDepth.clear()
                                out[i] = SampleSummary(id: m.id, split: m.split.rawValue, location: m.location, seconds: m.seconds, rms: m.rms,
                                                       peak: m.peak, clippedFraction: m.clipped, onsetMs: m.onsetMs.isNaN ? nil : m.onsetMs,
                                                       depthValidFraction: m.validFraction, targetPixels: m.targets?.valid,
                                                       inventedTargetPixels: m.targets?.invented)
                            } catch {
                                errs[i] = error
                                sampleDepth.clear()
                            }
                        }
                    }
                }
            }
        }
        if let error = errors.first(where: { $0 != nil }) ?? nil { throw error }
        let samples = summaries.compactMap { $0 }
        var tallies: [String: DepthTally] = [:]
        for perThread in threadTallies { for (key, t) in perThread { tallies[key, default: DepthTally()].add(t) } }
        func group(_ m: [SampleSummary], _ key: String) -> Group {
            let depth = tallies[key] ?? DepthTally()
            return Group(samples: m.count, audioSeconds: Distribution(m.map(\.seconds)), rms: Distribution(m.map(\.rms)),
                         peak: Distribution(m.map(\.peak)), clippedFraction: Distribution(m.map(\.clippedFraction)),
                         onsetMs: Distribution(m.map { $0.onsetMs ?? .nan }), depthValidFraction: Distribution(m.map(\.depthValidFraction)),
                         depthMetres: depth.distribution, depthHistogram: depth.histogram(binMetres: histogramBinMetres),
                         depthValidPixels: depth.valid, depthPixels: depth.total,
                         targetPixels: targets == nil ? nil : m.reduce(0) { $0 + ($1.targetPixels ?? 0) },
                         inventedTargetPixels: targets == nil ? nil : m.reduce(0) { $0 + ($1.inventedTargetPixels ?? 0) })
        }
        var perSplit: [String: Group] = [:], perLocation: [String: Group] = [:]
        for split in Split.allCases {
            let m = samples.filter { $0.split == split.rawValue }
            if !m.isEmpty { perSplit[split.rawValue] = group(m, "split:\(split.rawValue)") }
        }
        for location in Set(samples.compactMap(\.location)) {
            perLocation[location] = group(samples.filter { $0.location == location }, "location:\(location)")
        }
        return DatasetStatistics(dataset: manifest.dataset.rawValue, manifestDigest: manifest.digest, onsetThreshold: onsetThreshold,
                                 clipLevel: clipLevel, histogramBinMetres: histogramBinMetres, all: group(samples, "all"),
                                 perSplit: perSplit, perLocation: perLocation, duplicates: duplicates(manifest), samples: samples)
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

    /// Reads one sample's files and measures them; its depth pixels are added to `depth`.
    static func measure(_ sample: SampleRecord, kind: DatasetKind, root: DatasetRoot, onsetThreshold: Double,
                        clipLevel: Double, depth tally: inout DepthTally, targets: TargetCheck? = nil) throws -> SampleMeasures {
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
        let map = try NPYArray(contentsOf: try root.checkedURL(relative: sample.depth.path))
        let depth = map.floats()
        tally.add(depth)
        if let targets, map.shape.count == 2 {
            m.targets = targets(depth, map.shape[0], map.shape[1], tally.valid > 0 ? tally.min : nil)
        }
        m.validFraction = depth.isEmpty ? 0 : Double(tally.valid) / Double(depth.count)
        return m
    }
}
