import Foundation
import Support
import Testing
import TestSupport
@testable import Ingest

/// Files that lie about what they are.
@Suite struct HostileFileTests {
    /// An AIFF renamed .wav: named as not a WAV (libsndfile alone would decode it).
    @Test func aRenamedAiffIsNotAWav() throws {
        var comm = Data()
        func be16(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { comm.append(contentsOf: $0) } }
        func be32(_ v: UInt32, into d: inout Data) { withUnsafeBytes(of: v.bigEndian) { d.append(contentsOf: $0) } }
        be16(2)
        be32(4, into: &comm)
        be16(16)
        comm.append(contentsOf: [0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0])  // 44100 as an 80-bit float
        var ssnd = Data()
        be32(0, into: &ssnd); be32(0, into: &ssnd)
        ssnd.append(Data(count: 16))
        var aiff = Data("FORM".utf8)
        be32(UInt32(4 + 8 + comm.count + 8 + ssnd.count), into: &aiff)
        aiff.append(Data("AIFFCOMM".utf8))
        be32(UInt32(comm.count), into: &aiff)
        aiff.append(comm)
        aiff.append(Data("SSND".utf8))
        be32(UInt32(ssnd.count), into: &aiff)
        aiff.append(ssnd)
        do {
            _ = try AudioDecoder.decode(aiff, path: "renamed.wav")
            Issue.record("an AIFF was accepted as WAV")
        } catch let error as IngestError {
            #expect(error.description.contains("not a WAV file") && error.description.contains("AIFF"), "\(error)")
        }
    }

    /// A 10 MB CSV field is a bad_row quoting its start and size, never a path or a whole echo.
    @Test func aHugeCsvFieldIsClipped() throws {
        let dir = try TemporaryFolder("hugefield")
        defer { dir.cleanup() }
        let huge = String(repeating: "a", count: 10_000_000)
        try writeFile(Data("depth path,audio path left,audio path right\n\(huge).npy,l.npy,r.npy\n".utf8), to: dir.file("train.csv"))
        let listing = try DatasetLayout(kind: .batvisionv1, root: DatasetRoot(dir.url)).list()
        #expect(listing.samples.isEmpty)
        let problem = try #require(listing.problems.first)
        #expect(problem.kind == .badRow && problem.message.count < 400 && problem.message.contains("10000004 bytes"), "\(problem.message.prefix(300))")
    }

    /// A file swapped for a symlink pointing out of the root after ingest is refused when read.
    @Test func aSymlinkPutInPlaceAfterIngestIsRefusedOnRead() throws {
        let dir = try TemporaryFolder("symlink")
        defer { dir.cleanup() }
        let root = dir.file("root")
        try writeFile(Data("inside".utf8), to: root.appendingPathComponent("a.npy"))
        try writeFile(Data("secret".utf8), to: dir.file("outside.npy"))
        let r = try DatasetRoot(root)
        #expect(try r.checkedURL(relative: "a.npy").lastPathComponent == "a.npy")
        try FileManager.default.removeItem(at: root.appendingPathComponent("a.npy"))
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("a.npy"), withDestinationURL: dir.file("outside.npy"))
        #expect(throws: IngestError.self) { _ = try r.checkedURL(relative: "a.npy") }
    }
}
