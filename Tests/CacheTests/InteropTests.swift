import Cache
import Foundation
import Ingest
import Support
import Testing
import TestSupport

/// h5py, with no help from this tool, reads the samples Swift wrote (CI installs h5py).
@Suite struct InteropTests {
    @Test func h5pyReadsTheCacheAndTheReadmeDatasetWorks() throws {
        let data = try SmallDataset()
        defer { data.dir.cleanup() }
        let path = try data.featurizer(try smallConfig(.melSpectrogram)).run().path
        let cache = try FeatureCache(path: path)
        let expected = data.dir.file("expected")
        for (split, index) in [(Split.train, 0), (.train, cache.count(.train) - 1), (.val, 0), (.test, 1)] {
            let s = try cache.sample(split, index)
            try writeFile(NPYWriter.encode(s.audio, shape: cache.audioShape), to: expected.appendingPathComponent("\(split.rawValue).\(index).audio.npy"))
            try writeFile(NPYWriter.encode(s.depth, shape: cache.depthShape), to: expected.appendingPathComponent("\(split.rawValue).\(index).depth.npy"))
        }
        let repo = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        let (status, text) = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", repo.appendingPathComponent("Tests/interop/check_cache.py").path, path.path,
            expected.path, repo.appendingPathComponent("README.md").path])
        #expect(status == 0, "\(text)")
        #expect(text.contains("8 arrays identical"), "\(text)")
    }
}
