import Foundation
import Ingest
import Support
import Testing
import TestSupport

@Suite struct LayoutTests {
    func write(_ folder: TemporaryFolder, _ rel: String, _ text: String) throws {
        try writeFile(Data(text.utf8), to: folder.file(rel))
    }

    @Test func v1CommaFormAndTabForm() throws {
        let dir = try TemporaryFolder("v1layout")
        defer { dir.cleanup() }
        try write(dir, "train.csv", ",depth path,audio path left,audio path right\n0,d/0.npy,a/0_l.npy,a/0_r.npy\n1,d/1.npy,a/1_l.npy,a/1_r.npy\n")
        try write(dir, "test.csv", "raw_l\traw_r\tdepth\na/2_l.npy\ta/2_r.npy\td/2.npy\n")
        let listing = try DatasetLayout(kind: .batvisionv1, root: DatasetRoot(dir.url)).list()
        #expect(listing.problems.isEmpty)
        #expect(listing.indexFiles == ["train.csv", "test.csv"])
        #expect(listing.samples.map(\.id) == ["train/000000", "train/000001", "test/000000"])
        #expect(listing.samples[1].audio == ["a/1_l.npy", "a/1_r.npy"] && listing.samples[1].depth == "d/1.npy")
        #expect(listing.samples[2].audio == ["a/2_l.npy", "a/2_r.npy"] && listing.samples[2].split == .test)
        #expect(listing.samples[2].line == 2)
    }

    @Test func v2LocationsAndBlacklist() throws {
        let dir = try TemporaryFolder("v2layout")
        defer { dir.cleanup() }
        let header = "depth path,depth file name,audio path,audio file name\n"
        try write(dir, "Attic/train.csv", header + "Attic/depth,depth_1.npy,Attic/audio,audio_1.wav\n")
        try write(dir, "Attic/val.csv", header)
        try write(dir, "Hall/test.csv", header + "Hall/depth,depth_2.npy,Hall/audio,audio_2.wav\n")
        try write(dir, "Skip/train.csv", header + "Skip/depth,depth_3.npy,Skip/audio,audio_3.wav\n")
        let listing = try DatasetLayout(kind: .batvisionv2, root: DatasetRoot(dir.url), blacklist: ["Skip"]).list()
        #expect(listing.samples.map(\.id) == ["Attic/train/000000", "Hall/test/000000"])
        #expect(listing.samples[0].audio == ["Attic/audio/audio_1.wav"] && listing.samples[0].location == "Attic")
        #expect(listing.indexFiles == ["Attic/train.csv", "Attic/val.csv", "Hall/test.csv"])
    }

    @Test func pathsLeavingTheRootAreRejectedPerRow() throws {
        let dir = try TemporaryFolder("escape")
        defer { dir.cleanup() }
        let outside = try TemporaryFolder("outside")
        defer { outside.cleanup() }
        try write(outside, "secret.npy", "x")
        try FileManager.default.createDirectory(at: dir.file("inside"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: dir.file("inside/link"), withDestinationURL: outside.url)
        try write(dir, "train.csv", """
            depth path,audio path left,audio path right
            ok/d.npy,ok/l.npy,ok/r.npy
            ../d.npy,ok/l.npy,ok/r.npy
            /etc/passwd,ok/l.npy,ok/r.npy
            inside/link/secret.npy,ok/l.npy,ok/r.npy
            ok/../ok/d.npy,ok/l.npy,ok/r.npy

            """)
        let listing = try DatasetLayout(kind: .batvisionv1, root: DatasetRoot(dir.url)).list()
        #expect(listing.samples.map(\.line) == [2, 6])
        #expect(listing.samples[1].depth == "ok/d.npy")
        #expect(listing.problems.map(\.line) == [3, 4, 5])
        #expect(listing.problems.allSatisfy { $0.kind == .pathEscapesRoot && $0.message.contains("train.csv") })
    }

    @Test func notADatasetIsAClearError() throws {
        let dir = try TemporaryFolder("empty")
        defer { dir.cleanup() }
        #expect(throws: IngestError.self) { try DatasetLayout(kind: .batvisionv1, root: DatasetRoot(dir.url)).list() }
        #expect(throws: IngestError.self) { try DatasetLayout(kind: .batvisionv2, root: DatasetRoot(dir.url)).list() }
        try write(dir, "train.csv", "a,b\n1,2\n")
        #expect(throws: IngestError.self) { try DatasetLayout(kind: .batvisionv1, root: DatasetRoot(dir.url)).list() }
    }
}
