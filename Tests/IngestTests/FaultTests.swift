import Foundation
import Ingest
import Testing
import TestSupport

/// A dataset with injected faults yields exactly those problems, each named, and no crash.
@Suite struct FaultTests {
    func append(_ url: URL, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test func v2FaultsAreReportedOneByOne() throws {
        let dir = try TemporaryFolder("faults2")
        defer { dir.cleanup() }
        try SyntheticTests.small(.batvisionv2).write(to: dir.url)
        let clean = try Ingestor(kind: .batvisionv2, root: DatasetRoot(dir.url), showProgress: false).run()
        let byId = Dictionary(uniqueKeysWithValues: clean.samples.map { ($0.id, $0) })
        let victims = clean.samples.prefix(3).map(\.id)

        // 1. a deleted depth file
        try FileManager.default.removeItem(at: dir.file(byId[victims[0]]!.depth.path))
        // 2. a truncated WAV
        let wavURL = dir.file(byId[victims[1]]!.audio[0].path)
        let wav = try Data(contentsOf: wavURL)
        try wav.prefix(wav.count / 2).write(to: wavURL)
        // 3. an NPY whose header lies about the shape
        let depthURL = dir.file(byId[victims[2]]!.depth.path)
        let arr = try NPYArray(contentsOf: depthURL)
        let lying = NPYWriter.encode(shape: [arr.shape[0] + 1, arr.shape[1]], dtype: arr.dtype, body: arr.body)
        try lying.write(to: depthURL)
        // 4. a row with a ../ path and 5. a row missing a column
        let csv = try #require(clean.indexFiles.first { $0.path.hasSuffix("train.csv") && $0.bytes > 100 }).path
        let rowsBefore = try CSVTable(contentsOf: dir.file(csv)).rows.count
        try append(dir.file(csv), "../elsewhere,depth_0.npy,synth_hall/audio,audio_0.wav,0\nsynth_hall/depth,depth_0.npy\n")

        let m = try Ingestor(kind: .batvisionv2, root: DatasetRoot(dir.url), showProgress: false).run()
        #expect(m.samples.count == 21)
        #expect(m.problems.count == 5, "\(m.problems.map(\.message))")
        func find(_ kind: ProblemKind) -> Problem? { m.problems.first { $0.kind == kind } }
        #expect(find(.missingFile)?.id == victims[0])
        #expect(find(.missingFile)?.message.contains(byId[victims[0]]!.depth.path) == true)
        #expect(find(.corruptAudio)?.id == victims[1])
        #expect(find(.corruptAudio)?.message.contains("truncated") == true)
        #expect(find(.corruptDepth)?.id == victims[2])
        #expect(find(.corruptDepth)?.message.contains("shape") == true)
        #expect(find(.pathEscapesRoot)?.csv == csv && find(.pathEscapesRoot)?.line == rowsBefore + 2)
        #expect(find(.badRow)?.csv == csv && find(.badRow)?.line == rowsBefore + 3)
        #expect(find(.badRow)?.message.contains("missing") == true)
    }

    @Test func v1EarsOfDifferentLengths() throws {
        let dir = try TemporaryFolder("faults1")
        defer { dir.cleanup() }
        try SyntheticTests.small(.batvisionv1, samples: 6).write(to: dir.url)
        let clean = try Ingestor(kind: .batvisionv1, root: DatasetRoot(dir.url), showProgress: false).run()
        let victim = try #require(clean.samples.first)
        try NPYWriter.encode([Float](repeating: 0.1, count: 4000), shape: [4000]).write(to: dir.file(victim.audio[1].path))
        let m = try Ingestor(kind: .batvisionv1, root: DatasetRoot(dir.url), showProgress: false).run()
        #expect(m.samples.count == 5)
        #expect(m.problems.count == 1)
        let p = try #require(m.problems.first)
        #expect(p.kind == .inconsistent && p.id == victim.id)
        #expect(p.message.contains("4410") && p.message.contains("4000"))
    }
}

@Suite struct ValidateTests {
    @Test func cleanThenOneChangedByteThenMissingAndExtra() throws {
        let dir = try TemporaryFolder("validate")
        defer { dir.cleanup() }
        try SyntheticTests.small(.batvisionv2, samples: 9).write(to: dir.url)
        let root = try DatasetRoot(dir.url)
        let manifest = try Ingestor(kind: .batvisionv2, root: root, showProgress: false).run()
        // The manifest survives a write/load round trip.
        let path = dir.file("../\(dir.url.lastPathComponent)-manifest.json")
        defer { try? FileManager.default.removeItem(at: path) }
        try manifest.write(to: path)
        let loaded = try Manifest.load(from: path)
        #expect(loaded == manifest)

        #expect(DatasetValidator(manifest: loaded, root: root, showProgress: false).run().isClean)

        let target = try #require(manifest.samples.first?.depth.path)
        var bytes = try Data(contentsOf: dir.file(target))
        bytes[bytes.count - 7] ^= 0x01
        try bytes.write(to: dir.file(target))
        let deleted = try #require(manifest.samples.last?.audio[0].path)
        try FileManager.default.removeItem(at: dir.file(deleted))
        try Data("x".utf8).write(to: dir.file("synth_hall/stray.txt"))

        let findings = DatasetValidator(manifest: loaded, root: root, showProgress: false).run()
        #expect(findings.changed.map(\.path) == [target])
        #expect(findings.changed.first?.reason.contains("SHA-256") == true)
        #expect(findings.missing == [deleted])
        #expect(findings.extra == ["synth_hall/stray.txt"])
        #expect(!findings.isClean)
    }

    @Test func aBrokenManifestIsAClearError() throws {
        let dir = try TemporaryFolder("badmanifest")
        defer { dir.cleanup() }
        try Data("{\"schema_version\": 1}".utf8).write(to: dir.file("m.json"))
        #expect(throws: IngestError.self) { try Manifest.load(from: dir.file("m.json")) }
    }
}
