import Foundation
import Ingest
import Testing
import TestSupport

/// The chain of trust from raw files to manifest to cache to training, through the
/// executable: no file is taken at its word (issue "integrity the tool promises").
@Suite struct IntegrityTests: SmallDatasetSuite {
    let bv: URL
    let data: SmallDataset

    func run(_ args: [String], timeout: Double = 300) throws -> (status: Int32, output: String) {
        try runProcess(bv, args, timeout: timeout)
    }

    func featurize(_ manifest: String, cache: URL) -> [String] {
        ["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--dataset_dir", data.root.url.path,
         "--cache_dir", cache.path, "--conf_dir", conf, "--audio_format", "spectrogram", "--images_size", "32", "--quiet"]
    }

    func train(_ cache: URL, out: URL) -> [String] {
        ["train", "--dataset", "batvisionv2", "--manifest", manifest, "--cache_dir", cache.path, "--conf_dir", conf,
         "--audio_format", "spectrogram", "--images_size", "32", "--num_downs", "5", "--ngf", "2", "--batch_size", "4",
         "--epochs", "1", "--output_dir", out.path]
    }

    func python(_ script: String, _ args: [String]) throws {
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + args)
        try #require(r.status == 0, "\(r.output)")
    }


    /// A copy of the manifest with its samples emptied or one record doubled, the digest
    /// kept: featurize used to write a 0- or 15-sample cache under the real manifest's key,
    /// which the real manifest then reused. Now the digest is recomputed and they are refused.
    @Test func aManifestWhoseDigestLiesMakesNoCache() throws {
        defer { data.dir.cleanup() }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as? [String: Any])
        var emptied = json, doubled = json
        emptied["samples"] = []
        let samples = try #require(json["samples"] as? [Any])
        doubled["samples"] = samples + [samples[0]]
        let cache = data.dir.file("cache")
        for (name, object) in [("emptied.json", emptied), ("doubled.json", doubled)] {
            let path = data.dir.file(name).path
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
            let r = try run(featurize(path, cache: cache))
            #expect(r.status == 2 && r.output.contains(path) && r.output.contains("run `batvision ingest` again"), "\(name): \(r.output)")
            let v = try run(["validate", "--manifest", path, "--dataset_dir", data.root.url.path])
            #expect(v.status == 2 && v.output.contains(path), "\(name): \(v.output)")
        }
        #expect(cacheFile(cache) == nil)
        let good = try run(featurize(manifest, cache: cache))
        #expect(good.status == 0 && good.output.contains("14 samples") && !good.output.contains("reusing"), "\(good.output)")
    }

    /// A file replaced by another of the same size after ingest (`cp depth_1.npy depth_4.npy`)
    /// is found by featurize, which hashes what it reads, and named with its sample.
    @Test func aFileChangedSinceIngestIsNamedAndNotCached() throws {
        defer { data.dir.cleanup() }
        let samples = data.manifest.samples
        let victim = samples[4], donor = samples[1]
        #expect(victim.depth.bytes == donor.depth.bytes)
        let target = data.root.url.appendingPathComponent(victim.depth.path)
        try FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: data.root.url.appendingPathComponent(donor.depth.path), to: target)
        let cache = data.dir.file("cache")
        let r = try run(featurize(manifest, cache: cache))
        #expect(r.status == 2 && r.output.contains("1 sample(s) changed since \(manifest)") && r.output.contains(victim.id)
                && r.output.contains(victim.depth.path) && !r.output.contains(donor.id), "\(r.output)")
        #expect(cacheFile(cache) == nil)
    }

    /// HDF5 external links and external raw storage read bytes from outside the cache file
    /// (here a file of the right size, or another HDF5 file); both, and soft links, are
    /// findings of `validate --cache` naming the dataset and the target, and `train` refuses.
    @Test func aCacheThatReadsOutsideItselfIsRefused() throws {
        defer { data.dir.cleanup() }
        let cache = data.dir.file("cache")
        #expect(try run(featurize(manifest, cache: cache)).status == 0)
        let file = try #require(cacheFile(cache))
        let outside = data.dir.file("outside.bin")
        let tricks: [(name: String, script: String, says: [String])] = [
            ("external storage", """
            import h5py, numpy as np, sys
            with h5py.File(sys.argv[1], "r+") as f:
                shape = f["train/depth"].shape
                np.full(shape, 7, np.float32).tofile(sys.argv[2])
                del f["train/depth"]
                f.create_dataset("train/depth", shape=shape, dtype=np.float32, external=[(sys.argv[2], 0, h5py.h5f.UNLIMITED)])
            """, ["/train/depth", "external file", "outside.bin"]),
            ("external link", """
            import h5py, sys
            with h5py.File(sys.argv[2], "w") as g:
                with h5py.File(sys.argv[1], "r") as f:
                    g.create_dataset("stolen", data=f["train/audio"][...], chunks=(1,) + f["train/audio"].shape[1:])
            with h5py.File(sys.argv[1], "r+") as f:
                del f["train/audio"]
                f["train/audio"] = h5py.ExternalLink(sys.argv[2], "/stolen")
            """, ["/train/audio", "external link", "outside.bin", "/stolen"]),
            ("soft link", """
            import h5py, sys
            with h5py.File(sys.argv[1], "r+") as f:
                f.move("train/audio", "hidden")
                f["train/audio"] = h5py.SoftLink("/hidden")
            """, ["/train/audio", "soft link", "/hidden"]),
        ]
        let keyFolder = file.path.dropFirst(cache.path.count)  // /batvisionv2/<key>/features.h5
        for trick in tricks {
            let tricked = data.dir.file("tricked-\(trick.name.replacingOccurrences(of: " ", with: "-"))")
            let copy = URL(fileURLWithPath: tricked.path + keyFolder)
            try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: outside)
            try FileManager.default.copyItem(at: file, to: copy)
            try python(trick.script, [copy.path, outside.path])
            let v = try run(["validate", "--manifest", manifest, "--cache", copy.path])
            #expect(v.status == 1 && trick.says.allSatisfy { v.output.contains($0) }, "\(trick.name): \(v.output)")
            let t = try run(train(tricked, out: data.dir.file("runs")))
            #expect(t.status == 2 && t.output.contains(trick.says[0]), "\(trick.name): \(t.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: data.dir.file("runs/checkpoints").path))
    }

    /// A complete cache is only read: featurize reuses it on a read-only file system (it
    /// used to stop at "features.h5.lock: cannot write").
    @Test func aCompleteCacheIsReusedOnAReadOnlyFileSystem() throws {
        defer { data.dir.cleanup() }
        let disk = data.dir.file("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let mounted = try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=8m", "tmpfs", disk.path])
        try #require(mounted.status == 0, "mounting a tmpfs needs root: \(mounted.output)")
        defer { _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), [disk.path]) }
        let cache = disk.appendingPathComponent("cache")
        #expect(try run(featurize(manifest, cache: cache)).status == 0)
        try? FileManager.default.removeItem(at: try #require(cacheFile(cache)).appendingPathExtension("lock"))
        #expect(try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,ro", disk.path]).status == 0)
        let r = try run(featurize(manifest, cache: cache))
        #expect(r.status == 0 && r.output.contains("reusing"), "\(r.output)")
        // Rebuilding it there is still an error naming the file.
        let forced = try run(featurize(manifest, cache: cache) + ["--force"])
        #expect(forced.status == 2 && forced.output.contains(cache.path), "\(forced.output)")
    }

    /// A conf file or plan of 5,000 nested `[` (10 KB) used to overflow the YAML composer's
    /// stack (exit 139); a key given twice silently took the last value. Both are errors
    /// naming the file and the line(s).
    @Test func hostileYAMLIsRefusedNamingTheFileAndLine() throws {
        defer { data.dir.cleanup() }
        let confDir = data.dir.file("conf")
        try FileManager.default.createDirectory(at: confDir.appendingPathComponent("dataset"), withIntermediateDirectories: true)
        let confFile = confDir.appendingPathComponent("dataset/batvisionv2.yaml")
        let deep = "epochs: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let cases: [(text: String, says: [String])] = [
            ("images_size: 32\n" + deep, ["line 2", "nested more than 64 deep"]),
            (String(repeating: "- ", count: 5000) + "x\n", ["line 1", "nested more than 64 deep"]),
            ("epochs: 3\nbatch_size: 8\n# again\nepochs: 5\n", ["line 4", "'epochs' is set twice (first on line 1)"]),
        ]
        for c in cases {
            try Data(c.text.utf8).write(to: confFile)
            let r = try run(["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--conf_dir", confDir.path,
                             "--cache_dir", data.dir.file("cache").path])
            #expect(r.status == 2 && r.output.contains(confFile.path) && c.says.allSatisfy { r.output.contains($0) }, "\(r.status): \(r.output.prefix(300))")
        }
        let plan = data.dir.file("plan.yaml")
        for (text, says) in [("runs: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n", ["line 1", "nested"]),
                             ("runs:\n  - name: a\n    flags: --epochs 1\n    name: b\n", ["line 4", "'name' is set twice (first on line 2)"])] {
            try Data(text.utf8).write(to: plan)
            let r = try run(["experiments", "run", plan.path, "--dry-run"])
            #expect(r.status == 2 && r.output.contains(plan.path) && says.allSatisfy { r.output.contains($0) }, "\(r.status): \(r.output.prefix(300))")
        }
    }

    /// `compare` reads metrics files that may have been edited: an epoch outside 1...100000,
    /// or out of order, is an error naming the file and line; control bytes it quotes are
    /// escaped, never sent to the terminal.
    @Test func metricsFilesThatLieAreRefusedAndNotEchoed() throws {
        defer { data.dir.cleanup() }
        let logs = data.dir.file("logs/run")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let good = #"{"epoch":1,"train_loss":0.5,"seconds":1,"samples_per_s":10,"skipped_batches":0}"#
        for (lines, says) in [([good.replacingOccurrences(of: #""epoch":1"#, with: #""epoch":9223372036854775807"#)], "line 1"),
                              ([good.replacingOccurrences(of: #""epoch":1"#, with: #""epoch":-5"#)], "epoch -5"),
                              ([good, good], "epoch 1 after epoch 1"),
                              ([good, "\u{1B}]0;pwned\u{07}\u{1B}[2J"], "line 2")] {
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: logs.appendingPathComponent("metrics.jsonl"))
            let r = try run(["compare", logs.path, "--out", data.dir.file("cmp").path])
            #expect(r.status == 2 && r.output.contains("metrics.jsonl") && r.output.contains(says), "\(r.output)")
            #expect(!r.output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "raw control bytes echoed: \(r.output.debugDescription)")
        }
        // A binary conf file: its bytes are quoted escaped.
        let confDir = data.dir.file("conf")
        try FileManager.default.createDirectory(at: confDir.appendingPathComponent("dataset"), withIntermediateDirectories: true)
        try Data([0x65, 0x70, 0x6F, 0x63, 0x68, 0x1B, 0x5B, 0x32, 0x4A, 0x3A, 0x20, 0x31, 0x0A]).write(to: confDir.appendingPathComponent("dataset/batvisionv2.yaml"))
        let r = try run(["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--conf_dir", confDir.path])
        #expect(r.status == 2 && !r.output.unicodeScalars.contains { $0.value == 0x1B } && r.output.contains("\\u{1B}"), "\(r.output.debugDescription)")
    }

    /// `stats` streams: exact depth extremes over every pixel (it sampled ~4,096 per map and
    /// said nothing), a leakage finding as counts and a few ids (one was a 351 KB line),
    /// and a peak RSS that does not grow with the dataset (it grew ~125 KB per sample).
    @Test func statsReportsExactDepthExtremes() throws {
        defer { data.dir.cleanup() }
        // The deepest pixel of the dataset, planted in one map.
        let victim = data.manifest.samples[3]
        let url = data.root.url.appendingPathComponent(victim.depth.path)
        let arr = try NPYArray(contentsOf: url)
        var values = arr.floats().map { UInt16($0) }
        values[values.count / 2] = 15_711
        #expect(arr.dtype.name == "uint16")
        var body = Data()
        for v in values { withUnsafeBytes(of: v.littleEndian) { body.append(contentsOf: $0) } }
        try NPYWriter.encode(shape: arr.shape, dtype: arr.dtype, body: body).write(to: url)
        let m = data.dir.file("m.json").path
        #expect(try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--manifest", m, "--quiet"]).status == 0)
        let ingested = try Manifest.load(from: URL(fileURLWithPath: m))
        let r = try run(["stats", "--manifest", m, "--out", data.dir.file("card").path])
        #expect(r.output.contains("depth ") && r.output.contains("-15.711 m over all"), "\(r.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: data.dir.file("card/stats.json"))) as? [String: Any])
        let all = try #require(json["all"] as? [String: Any]), depth = try #require(all["depth_metres"] as? [String: Any])
        #expect(depth["max"] as? Double == 15.711, "\(depth)")
        let pixels = ingested.samples.reduce(0) { $0 + $1.depthInfo.height * $1.depthInfo.width }
        let invalid = ingested.samples.reduce(0.0) { $0 + $1.depthInfo.invalidFraction * Double($1.depthInfo.height * $1.depthInfo.width) }
        #expect(all["depth_pixels"] as? Int == pixels && all["depth_valid_pixels"] as? Int == pixels - Int(invalid.rounded()), "\(all)")
    }

    /// Peak RSS of `stats` on 30 and on 150 samples of 120x160 depth maps: flat (the old
    /// card kept ~4,800 pixels of every map, three times over: about 14 MB more here). On one
    /// thread: each thread keeps a 512 KB depth tally per group it met (all, split,
    /// location), so with two the peak depends on how the samples fell between the threads
    /// (up to groups x 512 KB apart between two runs; this failed once in a loaded full run
    /// with two threads): bounded by groups x threads, not by the dataset's size.
    @Test func statsMemoryDoesNotGrowWithTheDataset() throws {
        defer { data.dir.cleanup() }
        var peaks: [Int] = []
        for samples in [30, 150] {
            let root = data.dir.file("synth-\(samples)"), m = data.dir.file("synth-\(samples).json").path
            #expect(try run(["synth", "--dataset", "batvisionv2", "--out", root.path, "--samples", "\(samples)",
                             "--depth_height", "120", "--depth_width", "160"]).status == 0)
            #expect(try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", root.path, "--manifest", m, "--quiet"]).status == 0)
            // The peak of this one child alone (a fresh Python process has no other children).
            let measured = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
                import resource, subprocess, sys
                r = subprocess.run(sys.argv[1:], capture_output=True)
                print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
                """, bv.path, "stats", "--manifest", m, "--out", data.dir.file("card-\(samples)").path, "--threads", "1"])
            let fields = measured.output.split(whereSeparator: \.isWhitespace)
            #expect(fields.count == 2 && fields[0] == "0", "\(measured.output)")
            peaks.append(Int(fields.last ?? "") ?? -1)
        }
        #expect(peaks.allSatisfy { $0 > 0 } && peaks[1] - peaks[0] < 5_000, "peak RSS \(peaks) KB for 30 and 150 samples")
    }
}
