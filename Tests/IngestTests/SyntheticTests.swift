import Foundation
import Ingest
import Support
import Testing
import TestSupport

/// Every file below a folder, relative path -> bytes.
func snapshot(_ root: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
    while let url = walker?.nextObject() as? URL {
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
        if !isDir.boolValue { out[String(url.path.dropFirst(root.path.count + 1))] = try Data(contentsOf: url) }
    }
    return out
}

@Suite struct SyntheticTests {
    static func small(_ kind: DatasetKind, seed: UInt64 = 7, samples: Int = 24) -> SyntheticDataset {
        var s = SyntheticDataset(kind: kind, seed: seed, samples: samples, depthHeight: 24, depthWidth: 32)
        s.samplesPerRoom = 4
        s.showProgress = false
        return s
    }

    @Test(arguments: DatasetKind.allCases)
    func sameSeedSameBytesOtherSeedOtherBytes(kind: DatasetKind) throws {
        let a = try TemporaryFolder("synA"), b = try TemporaryFolder("synB"), c = try TemporaryFolder("synC")
        defer { a.cleanup(); b.cleanup(); c.cleanup() }
        try Self.small(kind).write(to: a.url)
        try Self.small(kind).write(to: b.url)
        try Self.small(kind, seed: 8).write(to: c.url)
        let sa = try snapshot(a.url), sb = try snapshot(b.url), sc = try snapshot(c.url)
        #expect(sa.count == (kind == .batvisionv1 ? 24 * 3 + 3 : 24 * 2 + 9))
        #expect(sa == sb)
        #expect(sa != sc)
    }

    @Test(arguments: DatasetKind.allCases)
    func ingestsWithZeroProblemsAndRoomsDoNotCrossSplits(kind: DatasetKind) throws {
        let dir = try TemporaryFolder("synI")
        defer { dir.cleanup() }
        let summary = try Self.small(kind).write(to: dir.url)
        let manifest = try Ingestor(kind: kind, root: DatasetRoot(dir.url), showProgress: false).run()
        #expect(manifest.problems.isEmpty)
        #expect(manifest.samples.count == 24)
        for split in Split.allCases {
            #expect(manifest.summary.perSplit[split.rawValue] == summary.perSplit[split], "\(split)")
            #expect((summary.perSplit[split] ?? 0) > 0)
        }
        if kind == .batvisionv2 { #expect(manifest.summary.perLocation.count == 3) }
        let first = try #require(manifest.samples.first)
        #expect(first.audioInfo == AudioInfo(channels: 2, sampleRate: 44100, frames: kind == .batvisionv2 ? 20000 : 4410,
                                             dtype: kind == .batvisionv2 ? "PCM_32" : "float32"))
        #expect(first.depthInfo.height == 24 && first.depthInfo.width == 32)
        #expect(first.depthInfo.dtype == (kind == .batvisionv2 ? "uint16" : "float32"))
        // Rooms are named in the CSVs' extra column: no room may appear in two splits.
        var roomSplits: [String: Set<Split>] = [:]
        for csv in manifest.indexFiles {
            let table = try CSVTable(contentsOf: dir.file(csv.path))
            let split = try #require(Split(rawValue: String(csv.path.split(separator: "/").last?.dropLast(4) ?? "")))
            let col = try #require(table.column("room"))
            for row in table.rows { roomSplits[row.fields[col], default: []].insert(split) }
        }
        #expect(roomSplits.count == 6)
        #expect(roomSplits.values.allSatisfy { $0.count == 1 })
    }

    @Test func echoesCarryTheRoomGeometry() throws {
        // The first strong echo after the direct sound arrives when sound has travelled to
        // the nearest surface and back, so it must come later for samples with deeper scenes.
        let dir = try TemporaryFolder("synE")
        defer { dir.cleanup() }
        var synth = SyntheticDataset(kind: .batvisionv2, seed: 3, samples: 30, depthHeight: 36, depthWidth: 64)
        synth.showProgress = false
        try synth.write(to: dir.url)
        let manifest = try Ingestor(kind: .batvisionv2, root: DatasetRoot(dir.url), showProgress: false).run()
        var pairs: [(Double, Double)] = []
        for s in manifest.samples {
            let clip = try AudioDecoder.decode(contentsOf: dir.file(s.audio[0].path))
            let depth = try NPYArray(contentsOf: dir.file(s.depth.path)).floats().filter { $0 > 0 }
            let meanDepth = Double(depth.reduce(0, +)) / Double(max(depth.count, 1)) / 1000
            // Energy-weighted arrival time of the echoes (after the direct sound, up to 30 m).
            let left = clip.channel(0)
            var num = 0.0, den = 0.0
            for (k, v) in left.enumerated() where k > 300 && k < 7782 {
                num += Double(k) * Double(v * v)
                den += Double(v * v)
            }
            pairs.append((meanDepth, num / den))
        }
        let n = Double(pairs.count)
        let mx = pairs.map(\.0).reduce(0, +) / n, my = pairs.map(\.1).reduce(0, +) / n
        let cov = pairs.reduce(0.0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let vx = pairs.reduce(0.0) { $0 + ($1.0 - mx) * ($1.0 - mx) }, vy = pairs.reduce(0.0) { $0 + ($1.1 - my) * ($1.1 - my) }
        let correlation = cov / (vx * vy).squareRoot()
        #expect(correlation > 0.5, "echo timing vs depth correlation \(correlation)")
    }

    @Test func refusesToWriteIntoAFolderThatIsNotEmpty() throws {
        let dir = try TemporaryFolder("synO")
        defer { dir.cleanup() }
        try writeFile(Data("keep me".utf8), to: dir.file("notes.txt"))
        #expect(throws: IngestError.self) { try Self.small(.batvisionv1).write(to: dir.url) }
        #expect(try Data(contentsOf: dir.file("notes.txt")) == Data("keep me".utf8))
    }
}
