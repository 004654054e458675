import Foundation
import Support
@testable import Ingest
import Testing
import TestSupport

/// Nothing a file says of itself is taken at its word: a manifest's digest and summary are
/// recomputed, its records must be ones ingest could have written, and audio headers that
/// lie about their sizes or hold no numbers are findings.
@Suite struct TrustTests {
    static func manifest() throws -> (SmallDataset, Data) {
        let data = try SmallDataset(samples: 8)
        return (data, try Data(contentsOf: data.dir.file("manifest.json")))
    }

    /// The manifest's JSON with `edit` applied to its top-level object.
    static func edited(_ json: Data, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    func refusal(_ data: Data) -> String? {
        do { _ = try Manifest.decode(data, path: "/m/edited.json"); return nil } catch { return "\(error)" }
    }

    @Test func aStoredDigestOrSummaryThatDoesNotMatchTheContentIsRefused() throws {
        let (data, json) = try Self.manifest()
        defer { data.dir.cleanup() }
        #expect(refusal(json) == nil)
        // The digest kept, the samples emptied: the content hashes to something else.
        let emptied = try Self.edited(json) { $0["samples"] = [] }
        let why = try #require(refusal(emptied))
        #expect(why.contains("/m/edited.json") && why.contains("digest") && why.contains(data.manifest.digest), "\(why)")
        // One record twice, the digest kept.
        let doubled = try Self.edited(json) { m in
            var samples = m["samples"] as! [Any]
            samples.append(samples[0])
            m["samples"] = samples
        }
        #expect(refusal(doubled)?.contains("same id") == true, "\(refusal(doubled) ?? "accepted")")
        // A summary that lies, the digest untouched (the summary is not hashed).
        let lying = try Self.edited(json) { m in
            var summary = m["summary"] as! [String: Any]
            summary["samples"] = 1000
            m["summary"] = summary
        }
        #expect(refusal(lying)?.contains("summary") == true, "\(refusal(lying) ?? "accepted")")
    }

    /// Records ingest could not have written are refused even with a digest that matches
    /// them (a hand-made manifest, hashed after editing).
    @Test func recordsIngestCannotWriteAreRefusedWhateverTheDigest() throws {
        let (data, _) = try Self.manifest()
        defer { data.dir.cleanup() }
        let m = data.manifest
        func rehashed(_ edit: (inout [SampleRecord]) -> Void) throws -> Data {
            var samples = m.samples
            edit(&samples)
            return try Manifest(dataset: m.dataset, datasetDir: m.datasetDir, locationBlacklist: [], created: m.created,
                                indexFiles: m.indexFiles, samples: samples, problems: m.problems).encoded()
        }
        let cases: [(String, (inout [SampleRecord]) -> Void, String)] = [
            ("duplicate id", { s in s[1].id = s[0].id }, "same id"),
            ("same CSV row twice", { s in var copy = s[0]; copy.id = "other"; s.append(copy) }, "same CSV row"),
            ("absolute path", { s in s[0].depth.path = "/etc/passwd" }, "not relative"),
            ("climbing path", { s in s[0].audio[0].path = "a/../../x.wav" }, "not relative"),
            ("negative size", { s in s[0].depth.bytes = -5 }, "size of -5"),
            ("not a checksum", { s in s[0].depth.sha256 = "abc" }, "not a SHA-256"),
        ]
        for (name, edit, says) in cases {
            let why = refusal(try rehashed(edit))
            #expect(why?.contains(says) == true && why?.contains("/m/edited.json") == true, "\(name): \(why ?? "accepted")")
        }
    }

    /// An RF64 header is held to the file like a RIFF one: its ds64 chunk's sizes and frame
    /// count (libsndfile would read a file declaring 1e9 frames as its real 20,000).
    @Test func rf64SizesThatLieAreTruncationErrors() throws {
        let frames = 20_000
        let riff = WAVWriter.pcm32(channels: [[Float](repeating: 0.25, count: frames), [Float](repeating: -0.25, count: frames)], sampleRate: 44100)
        func rf64(riffSize: UInt64? = nil, dataSize: UInt64? = nil, frameCount: UInt64? = nil) -> Data {
            let body = riff[12...]  // "fmt " chunk, then "data" chunk
            let fmtAndData = Data(body)
            var out = Data("RF64".utf8)
            func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
            func put64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
            put32(0xFFFF_FFFF)
            out.append(contentsOf: Array("WAVE".utf8))
            out.append(contentsOf: Array("ds64".utf8)); put32(28)
            let realData = UInt64(frames * 8)
            put64(riffSize ?? UInt64(4 + 36 + fmtAndData.count)); put64(dataSize ?? realData); put64(frameCount ?? UInt64(frames)); put32(0)
            var chunks = fmtAndData
            // The data chunk's 32-bit size says "see ds64".
            let dataAt = chunks.startIndex + 8 + 16 + 4
            chunks.replaceSubrange(dataAt..<(dataAt + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
            out.append(chunks)
            return out
        }
        let good = try AudioDecoder.decode(rf64(), path: "good.wav")
        #expect(good.frames == frames && good.channels == 2)
        for (name, file, says) in [("frames", rf64(frameCount: 1_000_000_000), "1000000000 frames"),
                                   ("data size", rf64(dataSize: 8_000_000_000), "8000000000 data bytes"),
                                   ("riff size", rf64(riffSize: UInt64.max), "RIFF size")] {
            do {
                _ = try AudioDecoder.decode(file, path: "lying.wav")
                Issue.record("\(name): accepted")
            } catch {
                #expect("\(error)".contains("lying.wav") && "\(error)".contains(says), "\(name): \(error)")
            }
        }
    }

    /// Audio holding NaN or infinity is corrupt at ingest, like a broken file (it used to
    /// pass ingest and featurize and stop `train`).
    @Test func nonFiniteAudioIsAnIngestFinding() throws {
        for kind in [DatasetKind.batvisionv2, .batvisionv1] {
            let dir = try TemporaryFolder("nan-audio")
            defer { dir.cleanup() }
            try SyntheticTests.small(kind, samples: 6).write(to: dir.url)
            let clean = try Ingestor(kind: kind, root: DatasetRoot(dir.url), showProgress: false).run()
            let victim = try #require(clean.samples.first)
            let nan = [Float](repeating: .nan, count: 3000)
            switch kind {
            case .batvisionv2: try Self.float32WAV([nan, nan]).write(to: dir.file(victim.audio[0].path))
            case .batvisionv1: try NPYWriter.encode(nan, shape: [nan.count]).write(to: dir.file(victim.audio[0].path))
            }
            let m = try Ingestor(kind: kind, root: DatasetRoot(dir.url), showProgress: false).run()
            let problem = try #require(m.problems.first { $0.id == victim.id }, "\(kind): accepted")
            #expect(problem.kind == .corruptAudio && problem.message.contains("NaN or infinite"), "\(problem.message)")
            #expect(!m.samples.contains { $0.id == victim.id })
        }
    }

    /// A stereo IEEE-float WAV (format 3), as soundfile writes with subtype FLOAT.
    static func float32WAV(_ channels: [[Float]]) -> Data {
        let frames = channels[0].count, nch = channels.count
        var out = Data("RIFF".utf8)
        func put32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { out.append(contentsOf: $0) } }
        put32(36 + frames * nch * 4)
        out.append(contentsOf: Array("WAVEfmt ".utf8)); put32(16)
        put16(3); put16(nch); put32(44100); put32(44100 * nch * 4); put16(nch * 4); put16(32)
        out.append(contentsOf: Array("data".utf8)); put32(frames * nch * 4)
        for f in 0..<frames { for c in 0..<nch { withUnsafeBytes(of: channels[c][f].bitPattern.littleEndian) { out.append(contentsOf: $0) } } }
        return out
    }

    /// A symlink loop or an over-long name is "cannot be reached, because ...", not "missing".
    @Test func unreachablePathsAreNotCalledMissing() throws {
        let dir = try TemporaryFolder("reach")
        defer { dir.cleanup() }
        try FileManager.default.createSymbolicLink(atPath: dir.file("a").path, withDestinationPath: dir.file("b").path)
        try FileManager.default.createSymbolicLink(atPath: dir.file("b").path, withDestinationPath: dir.file("a").path)
        #expect(PathStatus(dir.file("a")) == .unreachable("a loop of symbolic links"))
        #expect(PathStatus(dir.file(String(repeating: "n", count: 300))) == .unreachable("the name is longer than the file system allows"))
        #expect(PathStatus(dir.file("none")) == .missing)
        #expect(PathStatus(dir.url) == .exists)

        // validate on a dataset whose depth file became a loop of links.
        let data = try SmallDataset(samples: 4)
        defer { data.dir.cleanup() }
        let victim = try #require(data.manifest.samples.first)
        let file = data.root.url.appendingPathComponent(victim.depth.path)
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: file.path)
        let findings = DatasetValidator(manifest: data.manifest, root: data.root, showProgress: false).run()
        #expect(findings.missing.isEmpty && findings.unreadable.map(\.path) == [victim.depth.path], "\(findings)")
        #expect(findings.unreadable.first?.reason.contains("loop") == true)
    }

    /// A depth map may hold any finite float32: 1e30 mm (or Float.greatestFiniteMagnitude)
    /// lands in the last millimetre bin with its exact maximum; converting it to Int before
    /// clamping trapped `stats`.
    @Test func depthsBeyondIntAreTalliedNotATrap() {
        var tally = DatasetStatistics.DepthTally()
        tally.add([1e30, Float.greatestFiniteMagnitude, 1500, 0, -3, .nan, .infinity])
        #expect(tally.valid == 3 && tally.total == 7)
        #expect(tally.millimetres[DatasetStatistics.DepthTally.millimetreBins - 1] == 2 && tally.millimetres[1500] == 1)
        #expect(tally.max == Double(Float.greatestFiniteMagnitude) && tally.min == 1500)
    }
}
