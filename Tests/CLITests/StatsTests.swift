import Cache
import Foundation
import Ingest
import Testing
import TestSupport

/// `batvision stats`: the measurements on a hand-made recording, duplicates, and leakage
/// across splits as a finding.
@Suite struct StatsTests {
    @Test func measuresAHandMadeRecordingAndFindsLeakage() throws {
        let data = try SmallDataset(samples: 8)
        defer { data.dir.cleanup() }
        // One recording: silence, then from sample 441 (10 ms) a square wave of 0.5 with a
        // 1.0 spike at 882; 1000 samples per ear.
        let target = try #require(data.manifest.samples.first { $0.split == .train })
        var left = [Float](repeating: 0, count: 1000)
        for i in 441..<1000 { left[i] = i % 2 == 0 ? 0.5 : -0.5 }
        left[882] = 1.0
        try WAVWriter.pcm32(channels: [left, left], sampleRate: 44100).write(to: data.root.url.appendingPathComponent(target.audio[0].path))
        // A test sample's depth copied over a train sample's: the same bytes in two splits.
        let testSample = try #require(data.manifest.samples.first { $0.split == .test })
        let trainOther = try #require(data.manifest.samples.last { $0.split == .train && $0.id != target.id })
        try FileManager.default.removeItem(at: data.root.url.appendingPathComponent(trainOther.depth.path))
        try FileManager.default.copyItem(at: data.root.url.appendingPathComponent(testSample.depth.path),
                                         to: data.root.url.appendingPathComponent(trainOther.depth.path))
        let bv = try batvisionExecutable()
        let manifest = data.dir.file("m.json").path
        #expect(try runProcess(bv, ["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--manifest", manifest, "--quiet"]).status == 0)
        let out = data.dir.file("card")
        let r = try runProcess(bv, ["stats", "--manifest", manifest, "--out", out.path])
        #expect(r.status == 1 && r.output.contains("leakage: depth of") && r.output.contains(testSample.id) && r.output.contains(trainOther.id), "\(r.output)")
        for name in ["stats.json", "dataset_card.md", "onset_ms.png", "rms.png", "depth_valid_fraction.png", "depth_histogram.png"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("stats.json"))) as? [String: Any])
        let samples = try #require(json["samples"] as? [[String: Any]])
        let mine = try #require(samples.first { $0["id"] as? String == target.id })
        // Onset 441 samples = 10 ms; peak 1 (clipped: 2 of 2000 samples); RMS over both ears.
        #expect(abs((mine["onset_ms"] as? Double ?? 0) - 10) < 1e-9)
        #expect(abs((mine["peak"] as? Double ?? 0) - 1) < 1e-6 && abs((mine["clipped_fraction"] as? Double ?? 0) - 2.0 / 2000) < 1e-9)
        let sumSq = left.map { Double($0) * Double($0) }.reduce(0, +) * 2
        #expect(abs((mine["rms"] as? Double ?? 0) - (sumSq / 2000).squareRoot()) < 1e-6)
        let card = String(decoding: try Data(contentsOf: out.appendingPathComponent("dataset_card.md")), as: UTF8.self)
        #expect(card.contains("| depth |") && card.contains("**yes**"))
    }

    /// Targets the reference resize invents (a hole averaged into a map's depth): every
    /// map is one depth (2 m plus a millimetre per sample, so no two share bytes) and one
    /// has a hole in its middle, so exactly its cached target pixels between 0 and its depth
    /// are invented (less 0.01 %: rounding). featurize's note and stats's line give that
    /// count, read back from the cache; valid_area invents none and featurize says nothing.
    @Test func invented_targets_are_counted_where_the_researcher_looks() throws {
        let data = try SmallDataset(samples: 6)
        defer { data.dir.cleanup() }
        let (h, w) = (36, 64)
        let holed = try #require(data.manifest.samples.first { $0.split == .train })
        var metres: [String: Float] = [:]
        for (k, sample) in data.manifest.samples.enumerated() {
            var mm = [UInt16](repeating: UInt16(2000 + k), count: h * w)
            metres[sample.id] = Float(2000 + k) / 1000
            if sample.id == holed.id { for y in 12..<24 { for x in 24..<40 { mm[y * w + x] = 0 } } }
            try NPYWriter.encode(mm, shape: [h, w]).write(to: data.root.url.appendingPathComponent(sample.depth.path))
        }
        let bv = try batvisionExecutable()
        let manifest = data.dir.file("m.json").path
        #expect(try runProcess(bv, ["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--manifest", manifest, "--quiet"]).status == 0)
        let features = ["--images_size", "16", "--max_depth", "10"]
        let cacheDir = data.dir.file("c")
        let f = try runProcess(bv, ["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", cacheDir.path, "--quiet"] + features)
        #expect(f.status == 0, "\(f.output)")
        // The count, read back from the cache.
        let path = try #require(FileManager.default.enumerator(atPath: cacheDir.path)?.compactMap { $0 as? String }.first { $0.hasSuffix("features.h5") })
        let cache = try FeatureCache(path: cacheDir.appendingPathComponent(path))
        var invented = 0, inventedInOthers = 0, valid = 0
        for split in Split.allCases {
            for (i, id) in try cache.sampleIds(split).enumerated() {
                let depth = try cache.sample(split, i).depth, below = try #require(metres[id]) * (1 - 1e-4)
                valid += depth.filter { $0 > 0 }.count
                let n = depth.filter { $0 > 0 && $0 < below }.count
                if id == holed.id { invented += n } else { inventedInOthers += n }
            }
        }
        #expect(invented > 0 && invented < valid && inventedInOthers == 0)
        #expect(f.output.contains("(\(invented) of \(valid))") && f.output.contains("--depth_resize valid_area"), "\(f.output)")
        let s = try runProcess(bv, ["stats", "--manifest", manifest, "--out", data.dir.file("card").path, "--quiet"] + features)
        #expect(s.status == 0 && s.output.contains("\(invented) of \(valid) valid pixels") && s.output.contains("depth_resize reference"), "\(s.output)")
        let card = String(decoding: try Data(contentsOf: data.dir.file("card").appendingPathComponent("dataset_card.md")), as: UTF8.self)
        #expect(card.contains("\(invented) of \(valid) valid pixels"))

        let area = try runProcess(bv, ["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", cacheDir.path,
                                       "--quiet", "--depth_resize", "valid_area"] + features)
        #expect(area.status == 0 && !area.output.contains("note:"), "\(area.output)")
        let s2 = try runProcess(bv, ["stats", "--manifest", manifest, "--out", data.dir.file("card2").path, "--quiet", "--depth_resize", "valid_area"] + features)
        #expect(s2.status == 0 && s2.output.contains(": 0 of ") && s2.output.contains("depth_resize valid_area"), "\(s2.output)")
    }
}
