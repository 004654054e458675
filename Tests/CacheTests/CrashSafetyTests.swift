import Cache
import Foundation
import Ingest
import Testing
import TestSupport

@Suite(.serialized) struct CrashSafetyTests {
    func featurizeProcess(_ data: SmallDataset, cache: String) throws -> Process {
        // An empty conf folder: the built-in defaults alone.
        try FileManager.default.createDirectory(at: data.dir.file("no-conf"), withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = try batvisionExecutable()
        p.arguments = ["featurize", "--dataset", "batvisionv2", "--manifest", data.dir.file("manifest.json").path,
                       "--cache_dir", data.dir.file(cache).path, "--audio_format", "spectrogram", "--images_size", "32",
                       "--flush_every", "2", "--quiet", "--conf_dir", data.dir.file("no-conf").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        return p
    }

    /// Samples recorded as written in progress.json (0 when absent).
    func done(_ loc: CacheLocation) -> Int {
        guard let d = try? Data(contentsOf: loc.progress),
              let obj = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
              let counts = obj["done"] as? [String: Int] else { return 0 }
        return counts.values.reduce(0, +)
    }

    @Test func sigkillAtSeveralPointsThenResumeEqualsAnUninterruptedRun() throws {
        let data = try SmallDataset(samples: 30)
        defer { data.dir.cleanup() }
        let reference = try data.featurizer(try smallConfig(), cache: "reference").run()
        let loc = data.featurizer(try smallConfig(), cache: "killed").location

        // Kill after the first flushed batch, in the middle, and near the end.
        var interrupted: [Int] = []
        for target in [1, 12, 26] {
            let p = try featurizeProcess(data, cache: "killed")
            try p.run()
            let deadline = Date().addingTimeInterval(120)
            while p.isRunning && done(loc) < target && Date() < deadline { usleep(2000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { interrupted.append(done(loc)) }
            if !FileManager.default.fileExists(atPath: loc.file.path) {
                // Killed before completion: nothing reads as a cache.
                #expect(throws: CacheError.self) { try FeatureCache(path: loc.file) }
                #expect(throws: (any Error).self) { try FeatureCache(path: loc.partial) }
            }
        }
        // Each kill landed mid-run, each rerun got further (it resumed, not restarted).
        #expect(interrupted.count == 3, "runs killed before finishing: \(interrupted)")
        #expect(interrupted == interrupted.sorted() && (interrupted.first ?? 0) >= 1)
        let p = try featurizeProcess(data, cache: "killed")
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: loc.partial.path))
        let resumed = try FeatureCache(path: loc.file)
        let expected = try FeatureCache(path: reference.path)
        for split in Split.allCases {
            #expect(resumed.count(split) == expected.count(split))
            #expect(try resumed.sampleIds(split) == expected.sampleIds(split))
            for i in 0..<expected.count(split) {
                let a = try resumed.sample(split, i), b = try expected.sample(split, i)
                #expect(a.audio == b.audio && a.depth == b.depth, "\(split) \(i)")
            }
        }
    }
}
