import Foundation
import Ingest
import Testing
import TestSupport

/// Faults a long run meets, through the executable: two runs of the same thing at once, a
/// full disk, SIGKILL at any point. Each must end in a named error or a result identical to
/// an undisturbed run. The disk tests mount a small tmpfs (CI runs as root).
@Suite(.serialized) struct FaultInjectionTests: SmallDatasetSuite {
    let bv: URL
    let data: SmallDataset

    func featurizeArgs(_ cache: URL, size: Int = 32) -> [String] {
        ["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", cache.path, "--conf_dir", conf,
         "--audio_format", "spectrogram", "--images_size", "\(size)", "--flush_every", "2", "--quiet"]
    }

    func trainArgs(_ cache: URL, out: URL, epochs: Int = 4) -> [String] {
        ["train", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", cache.path, "--conf_dir", conf,
         "--audio_format", "spectrogram", "--images_size", "32", "--num_downs", "5", "--ngf", "4", "--batch_size", "4",
         "--epochs", "\(epochs)", "--saving_checkpoints", "1", "--validation_iter", "2", "--experiment_name", "fault",
         "--output_dir", out.path]
    }

    func start(_ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = bv
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        return (p, pipe)
    }

    func finish(_ run: (Process, Pipe)) -> (status: Int32, output: String) {
        let text = String(decoding: run.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.0.waitUntilExit()
        return (run.0.terminationStatus, text)
    }

    /// Every array of two caches, bit for bit.
    func expectSameCaches(_ a: String, _ b: String) throws {
        let script = Fixtures.repository.appendingPathComponent("Tests/interop/compare_caches.py").path
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, a, b])
        #expect(r.status == 0 && r.output.contains("caches identical"), "\(r.output)")
    }


    /// Two featurize of the same cache started together: one writes, the other is refused
    /// by name (or, if it came second, reuses the finished cache); the cache is sound.
    @Test func twoConcurrentFeaturizeRuns() throws {
        defer { data.dir.cleanup() }
        let reference = data.dir.file("reference")
        #expect(try runProcess(bv, featurizeArgs(reference)).status == 0)
        for round in 0..<3 {
            let cache = data.dir.file("together-\(round)")
            let a = try start(featurizeArgs(cache)), b = try start(featurizeArgs(cache))
            let results = [finish(a), finish(b)]
            let ok = results.filter { $0.status == 0 }, refused = results.filter { $0.status == 2 }
            #expect(ok.count >= 1 && ok.count + refused.count == 2, "\(results)")
            #expect(refused.allSatisfy { $0.output.contains("another process is writing this cache") }, "\(refused)")
            try expectSameCaches(try #require(cacheFile(reference)?.path), try #require(cacheFile(cache)?.path))
        }
    }

    /// Two trains of the same run name started together: one trains, the other is refused;
    /// the run's checkpoints are one run's, and resuming from them works.
    @Test func twoConcurrentTrainRunsOfOneName() throws {
        defer { data.dir.cleanup() }
        let cache = data.dir.file("cache"), out = data.dir.file("out")
        #expect(try runProcess(bv, featurizeArgs(cache)).status == 0)
        let a = try start(trainArgs(cache, out: out, epochs: 3)), b = try start(trainArgs(cache, out: out, epochs: 3))
        let results = [finish(a), finish(b)]
        #expect(results.filter { $0.status == 0 }.count == 1 && results.filter { $0.status == 2 }.count == 1, "\(results)")
        let refusal = try #require(results.first { $0.status == 2 }?.output)
        #expect(refusal.contains("another process is training this run") || refusal.contains("already holds checkpoints"), "\(refusal)")
        let resumed = try runProcess(bv, trainArgs(cache, out: out, epochs: 4) + ["--checkpoints", "3"])
        #expect(resumed.status == 0 && resumed.output.contains("resuming"), "\(resumed.output)")
    }

    /// SIGKILL at a random point of training, then resume from the last checkpoint: the
    /// same per-epoch losses and the same final weights as an undisturbed run.
    @Test func sigkillDuringTrainingThenResumeEqualsAnUndisturbedRun() throws {
        defer { data.dir.cleanup() }
        let cache = data.dir.file("cache")
        #expect(try runProcess(bv, featurizeArgs(cache)).status == 0)
        let calm = data.dir.file("calm"), killed = data.dir.file("killed")
        #expect(try runProcess(bv, trainArgs(cache, out: calm, epochs: 12)).status == 0)
        var rng = SystemRandomNumberGenerator()
        let run = "unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_fault"
        let checkpoints = killed.appendingPathComponent("checkpoints/\(run)")
        func lastEpoch() -> Int? {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
            return names.compactMap { n -> Int? in
                guard n.hasPrefix("checkpoint_"), n.hasSuffix(".safetensors"), !n.contains("optim") else { return nil }
                return Int(n.dropFirst(11).dropLast(12))
            }.max()
        }
        var kills = 0
        for _ in 0..<3 {
            let resume = lastEpoch()
            if resume == 12 { break }
            var args = trainArgs(cache, out: killed, epochs: 12)
            if let resume { args += ["--checkpoints", "\(resume)"] }
            let p = try start(args)
            // A random point: after a random epoch's checkpoint, plus up to 40 ms.
            let target = Int.random(in: ((resume ?? 0) + 1)...min((resume ?? 0) + 4, 11), using: &rng)
            let deadline = Date().addingTimeInterval(120)
            while p.0.isRunning && (lastEpoch() ?? 0) < target && Date() < deadline { usleep(1000) }
            usleep(UInt32.random(in: 0...40_000, using: &rng))
            if p.0.isRunning { kill(p.0.processIdentifier, SIGKILL); kills += 1 }
            _ = finish(p)
        }
        var args = trainArgs(cache, out: killed, epochs: 12)
        if let resume = lastEpoch(), resume < 12 { args += ["--checkpoints", "\(resume)"] }
        if lastEpoch() != 12 { #expect(try runProcess(bv, args).status == 0) }
        #expect(kills >= 1, "no run was killed mid-way")
        // No temporary or orphan left, and the same numbers as the undisturbed run.
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path)
        #expect(!names.contains { $0.contains(".partial-") }, "\(names)")
        for name in names where name.hasSuffix(".optim.safetensors") {
            #expect(names.contains(name.replacingOccurrences(of: ".optim.safetensors", with: ".safetensors")), "orphan \(name)")
        }
        func records(_ out: URL) throws -> [String] {
            let text = String(decoding: try Data(contentsOf: out.appendingPathComponent("logs/\(run)/metrics.jsonl")), as: UTF8.self)
            // Times differ; losses and metrics must not.
            return text.split(separator: "\n").map { line in
                String(line).replacingOccurrences(of: #""seconds":[0-9.e+-]+,"#, with: "", options: .regularExpression)
                    .replacingOccurrences(of: #""samples_per_s":[0-9.e+-]+,"#, with: "", options: .regularExpression)
                    .replacingOccurrences(of: #""data_seconds":[0-9.e+-]+,"#, with: "", options: .regularExpression)
            }
        }
        #expect(try records(killed) == records(calm))
        let a = try Data(contentsOf: calm.appendingPathComponent("checkpoints/\(run)/checkpoint_12.safetensors"))
        let b = try Data(contentsOf: checkpoints.appendingPathComponent("checkpoint_12.safetensors"))
        // The headers differ (the resumed run records `checkpoints: N`); the tensors may not.
        #expect(tensorsPart(a) == tensorsPart(b), "final weights differ")
    }

    /// The tensor bytes of a safetensors file (after its header; metadata holds timings).
    func tensorsPart(_ d: Data) -> Data {
        guard d.count >= 8 else { return d }
        let n = d.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        return d.dropFirst(8 + n)
    }

    /// featurize and train onto a full disk: a named error (no trap), nothing that reads as
    /// complete; with space freed, a rerun finishes with the undisturbed result.
    @Test func aFullDiskIsANamedErrorAndARerunFinishes() throws {
        defer { data.dir.cleanup() }
        let disk = data.dir.file("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let mounted = try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=400k", "tmpfs", disk.path])
        try #require(mounted.status == 0, "mounting a tmpfs needs root: \(mounted.output)")
        defer { _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), [disk.path]) }
        // featurize: 14 samples of 64x64 spectrograms and depth are ~690 KB.
        let full = try runProcess(bv, featurizeArgs(disk.appendingPathComponent("cache"), size: 64))
        #expect(full.status == 2 && full.output.contains("error:") && full.output.contains(disk.path), "\(full.status): \(full.output)")
        #expect(cacheFile(disk) == nil)
        #expect(try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,size=8m", disk.path]).status == 0)
        #expect(try runProcess(bv, featurizeArgs(disk.appendingPathComponent("cache"), size: 64)).status == 0)
        #expect(try runProcess(bv, featurizeArgs(data.dir.file("reference"), size: 64)).status == 0)
        try expectSameCaches(try #require(cacheFile(data.dir.file("reference"))?.path), try #require(cacheFile(disk)?.path))

        // train: checkpoints of a 5-level ngf-4 U-Net onto a disk with no room for them.
        let cache = data.dir.file("cache32")
        #expect(try runProcess(bv, featurizeArgs(cache)).status == 0)
        let small = data.dir.file("small-disk")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        #expect(try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=60k", "tmpfs", small.path]).status == 0)
        defer { _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), [small.path]) }
        let out = small.appendingPathComponent("runs")
        let stopped = try runProcess(bv, trainArgs(cache, out: out, epochs: 2))
        #expect(stopped.status == 2 && stopped.output.contains("cannot write") && !stopped.output.contains("NSCocoaErrorDomain"), "\(stopped.output)")
        #expect(try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,size=16m", small.path]).status == 0)
        let rerun = try runProcess(bv, trainArgs(cache, out: out, epochs: 2) + ["--overwrite"])
        #expect(rerun.status == 0, "\(rerun.output)")
        let calm = data.dir.file("calm")
        #expect(try runProcess(bv, trainArgs(cache, out: calm, epochs: 2)).status == 0)
        let run = "checkpoints/unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_fault/checkpoint_2.safetensors"
        #expect(tensorsPart(try Data(contentsOf: out.appendingPathComponent(run))) == tensorsPart(try Data(contentsOf: calm.appendingPathComponent(run))))
    }
}
