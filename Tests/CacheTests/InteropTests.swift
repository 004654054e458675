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

    /// A cache whose arrays are not float32 (rewritten by another tool) is refused on open
    /// and is a finding of `validate --cache`, not something to train on.
    @Test func aCacheOfAnotherDtypeIsRefused() throws {
        let data = try SmallDataset(samples: 6)
        defer { data.dir.cleanup() }
        let path = try data.featurizer(try smallConfig()).run().path
        let script = """
        import h5py, numpy as np, sys
        with h5py.File(sys.argv[1], "r+") as f:
            a = f["train/audio"][...]
            del f["train/audio"]
            f.create_dataset("train/audio", data=(a * 100).astype(np.int32), chunks=(1,) + a.shape[1:])
        """
        let (status, text) = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, path.path])
        #expect(status == 0, "\(text)")
        do {
            _ = try FeatureCache(path: path)
            Issue.record("opened an int32 cache")
        } catch let error as CacheError {
            #expect(error.description.contains("float32"), "\(error)")
        }
        let findings = try CacheValidator(cachePath: path, manifest: data.manifest, root: nil, recheck: 0).run()
        #expect(findings.count == 1 && findings[0].contains("float32"), "\(findings)")
    }
}
