import Foundation
import Ingest
import Testing
import TestSupport

/// Bad flags and hostile files as a user (or an attacker) would give them: every one is a
/// named error with the right exit status, never a trap (132/134), a hang or an allocation
/// the machine cannot make.
@Suite struct HostileInputTests {
    func run(_ args: [String], in dir: URL? = nil, timeout: Double = 120) throws -> (status: Int32, output: String) {
        try runProcess(try batvisionExecutable(), args, in: dir, timeout: timeout)
    }

    @Test func outOfRangeFlagsAreUsageErrors() throws {
        let dir = try TemporaryFolder("flags")
        defer { dir.cleanup() }
        let v2 = ["--dataset", "batvisionv2", "--manifest", dir.file("none.json").path, "--cache_dir", dir.file("cache").path]
        let cases: [(args: [String], names: String)] = [
            (["train"] + v2 + ["--num_downs", "64"], "num_downs"),
            (["train"] + v2 + ["--num_downs", "63"], "num_downs"),
            (["train"] + v2 + ["--ngf", "100000"], "ngf"),
            (["train"] + v2 + ["--clip_grad_norm", "-1"], "clip_grad_norm"),
            (["train"] + v2 + ["--clip_grad_norm", "nan"], "clip_grad_norm"),
            (["train"] + v2 + ["--batch_size", "0"], "batch_size"),
            (["train"] + v2 + ["--silog_lambda", "2"], "silog_lambda"),
            (["featurize"] + v2 + ["--max_depth", "1e300"], "max_depth"),
            (["featurize"] + v2 + ["--images_size", "100000"], "images_size"),
            (["featurize"] + v2 + ["--threads", "0"], "threads"),
            (["featurize"] + v2 + ["--shard", "4/4"], "shard"),
            (["featurize"] + v2 + ["--flush_every", "0"], "flush_every"),
            (["eval"] + v2 + ["--depth_bin", "0"], "depth_bin"),
            (["eval"] + v2 + ["--depth_bin", "-1"], "depth_bin"),
            (["eval"] + v2 + ["--depth_bin", "nan"], "depth_bin"),
            (["eval"] + v2 + ["--depth_bin", "1e-300"], "depth_bin"),
            (["eval"] + v2 + ["--depth_bin", "0.0000001"], "depth_bin"),
            (["synth", "--dataset", "batvisionv2", "--out", dir.file("s").path, "--depth_height", "1000000", "--depth_width", "1000000"], "depth_height"),
            (["synth", "--dataset", "batvisionv2", "--out", dir.file("s").path, "--samples", "0"], "samples"),
            (["validate", "--manifest", dir.file("none.json").path, "--recheck", "-1"], "recheck"),
            (["bench", "train", "--num_downs", "64"], "num_downs"),
            (["bench", "train", "--batch", "0"], "batch"),
            (["bench", "train", "--gemm", "mkl"], "gemm"),
            (["bench", "train", "--threads", "0"], "threads"),
            (["train"] + v2 + ["--gemm", "cublas"], "gemm"),
            (["bench", "eval", "--cache", dir.file("none.h5").path, "--passes", "0"], "passes"),
        ]
        for c in cases {
            let r = try run(c.args, timeout: 60)
            #expect(r.status == 64 && r.output.contains(c.names), "\(c.args.joined(separator: " ")) -> \(r.status): \(r.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("s").path) && !FileManager.default.fileExists(atPath: dir.file("cache").path))
    }

    /// A checkpoint is data from anywhere: impossible shapes and metadata are refused by
    /// name before anything is allocated.
    @Test func hostileCheckpointsAreRefused() throws {
        let dir = try TemporaryFolder("ckpt")
        defer { dir.cleanup() }
        func safetensors(_ header: String) -> Data {
            var h = Array(header.utf8)
            while h.count % 8 != 0 { h.append(0x20) }
            var out = Data()
            withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
            return out + Data(h)
        }
        func info(numDowns: Int, ngf: Int) -> String {
            let json = "{\"format\":\"batvision-checkpoint-1\",\"epoch\":1,\"runName\":\"r\",\"model\":{\"inputChannels\":2,\"outputChannels\":1,\"numDowns\":\(numDowns),\"ngf\":\(ngf),\"depthNorm\":false},\"feature\":{\"dataset\":\"batvisionv2\",\"audioFormat\":\"spectrogram\",\"maxDepth\":30,\"depthNorm\":false,\"imagesSize\":32,\"preprocess\":\"resize\"},\"manifestDigest\":\"x\",\"settings\":{}}"
            let escaped = json.replacingOccurrences(of: "\"", with: "\\\"")
            return "{\"__metadata__\":{\"format\":\"pt\",\"batvision\":\"\(escaped)\"}}"
        }
        let cases: [(name: String, header: String, says: String)] = [
            ("huge-shape", "{\"model.model.0.weight\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}", "safetensors"),
            ("overflowing-shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3037000500,3037000500,3037000500],\"data_offsets\":[0,0]}}", "overflows"),
            ("fractional-shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,0]}}", "bad shape"),
            ("ngf-2^40", info(numDowns: 5, ngf: 1 << 40), "ngf"),
            ("ngf-100000", info(numDowns: 5, ngf: 100_000), "ngf"),
            ("levels-1000", info(numDowns: 1000, ngf: 4), "num_downs"),
            ("empty-giant-weight", "{\"model.model.0.weight\":{\"dtype\":\"F32\",\"shape\":[1000000000,2,0,4],\"data_offsets\":[0,0]},\"model.model.3.weight\":{\"dtype\":\"F32\",\"shape\":[2,1,0,4],\"data_offsets\":[0,0]}"
                + (0..<8).map { ",\"x\($0).weight\":{\"dtype\":\"F32\",\"shape\":[1,1,0,4],\"data_offsets\":[0,0]}" }.joined() + "}", "ngf"),
        ]
        for c in cases {
            let file = dir.file("\(c.name).safetensors")
            try safetensors(c.header).write(to: file)
            let r = try run(["eval", "--dataset", "batvisionv2", "--checkpoint", file.path, "--manifest", dir.file("m.json").path,
                             "--stat_dir", dir.file("stats").path, "--cache_dir", dir.file("cache").path], timeout: 60)
            #expect(r.status == 2 && r.output.contains(file.path) && r.output.contains(c.says), "\(c.name) -> \(r.status): \(r.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("stats").path))
    }

    /// A FIFO where a listed file was: named as not a regular file, never waited on.
    @Test func aFifoIsANamedProblemNotAHang() throws {
        let data = try SmallDataset(samples: 6)
        defer { data.dir.cleanup() }
        let victim = try #require(data.manifest.samples.first)
        let depth = data.root.url.appendingPathComponent(victim.depth.path)
        try FileManager.default.removeItem(at: depth)
        #expect(mkfifo(depth.path, 0o644) == 0)
        let manifest = data.dir.file("manifest.json").path
        let featurize = try run(["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--images_size", "16",
                                 "--cache_dir", data.dir.file("cache").path, "--quiet"], timeout: 60)
        #expect(featurize.status == 2 && featurize.output.contains(victim.depth.path) && featurize.output.contains("not a regular file"), "\(featurize.status): \(featurize.output)")
        let validate = try run(["validate", "--manifest", manifest, "--dataset_dir", data.root.url.path], timeout: 60)
        #expect(validate.status == 1 && validate.output.contains("unreadable") && validate.output.contains("not a regular file"), "\(validate.output)")
        let ingest = try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path,
                              "--manifest", data.dir.file("m2.json").path, "--quiet"], timeout: 60)
        #expect(ingest.status == 1 && ingest.output.contains("unreadable") && ingest.output.contains(victim.id)
                && ingest.output.contains("not a regular file") && !ingest.output.contains("ermission"), "\(ingest.output)")
    }

    /// One recording too short for the STFT stops featurize before any work, naming the
    /// sample, its file and what to do.
    @Test func aShortRecordingIsNamedBeforeAnyWork() throws {
        let data = try SmallDataset(samples: 6)
        defer { data.dir.cleanup() }
        let victim = try #require(data.manifest.samples.last)
        try WAVWriter.pcm32(channels: [[Float](repeating: 0.1, count: 100), [Float](repeating: 0.1, count: 100)], sampleRate: 44100)
            .write(to: data.root.url.appendingPathComponent(victim.audio[0].path))
        let manifest = data.dir.file("short.json").path
        let ingest = try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--manifest", manifest, "--quiet"])
        #expect(ingest.status == 0, "\(ingest.output)")
        let cache = data.dir.file("cache")
        let r = try run(["featurize", "--dataset", "batvisionv2", "--manifest", manifest, "--images_size", "16", "--cache_dir", cache.path, "--quiet"])
        #expect(r.status == 2 && r.output.contains(victim.id) && r.output.contains(victim.audio[0].path)
                && r.output.contains("100 samples") && r.output.contains("--audio_format waveform"), "\(r.output)")
        let written = (FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".h5") || $0.hasSuffix(".partial") }
        #expect(written.isEmpty, "\(written)")
    }

    /// A folder given where a file is expected: a plain error naming it.
    @Test func aDirectoryGivenAsAFileIsAPlainError() throws {
        let dir = try TemporaryFolder("dirfile")
        defer { dir.cleanup() }
        let r = try run(["validate", "--manifest", dir.url.path])
        #expect(r.status == 2 && r.output.contains(dir.url.path) && r.output.contains("a directory") && !r.output.contains("error 256"), "\(r.output)")
    }

    /// Flags that are each valid but do not go together are usage errors too; a conf
    /// folder that is not there is not silently skipped; a featurize whose batches cannot
    /// fit in memory is refused before any file is made.
    @Test func combinationsMissingConfAndOversizedBatches() throws {
        let data = try SmallDataset(samples: 4)
        defer { data.dir.cleanup() }
        let m = data.dir.file("manifest.json").path, cache = data.dir.file("cache").path
        let cases: [(args: [String], says: String)] = [
            (["train", "--dataset", "batvisionv2", "--manifest", m, "--num_downs", "8", "--images_size", "64"], "multiples of 256"),
            (["featurize", "--dataset", "batvisionv2", "--manifest", m, "--max_depth", "null", "--depth_norm", "true"], "depth_norm"),
            (["eval", "--dataset", "batvisionv2", "--manifest", m, "--min_depth", "5", "--max_eval_depth", "3"], "max_eval_depth"),
            (["featurize", "--dataset", "batvisionv2", "--manifest", m, "--conf_dir", data.dir.file("no-such-conf").path], "conf_dir"),
        ]
        for c in cases {
            let r = try run(c.args, timeout: 60)
            #expect(r.status == 64 && r.output.contains(c.says), "\(c.args.joined(separator: " ")) -> \(r.status): \(r.output)")
        }
        let huge = try run(["featurize", "--dataset", "batvisionv2", "--manifest", m, "--cache_dir", cache, "--images_size", "4096", "--flush_every", "4096"])
        #expect(huge.status == 2 && huge.output.contains("--flush_every") && huge.output.contains("or less"), "\(huge.output)")
        let made = (FileManager.default.enumerator(atPath: cache)?.allObjects as? [String] ?? []).filter { $0.contains(".h5") && !$0.hasSuffix(".lock") }
        #expect(made.isEmpty, "\(made)")
    }

    /// A file far larger than it may be (here a sparse 9 GB one) is refused by its size,
    /// not read into memory.
    @Test func aHugeFileIsRefusedBeforeItIsRead() throws {
        let dir = try TemporaryFolder("huge")
        defer { dir.cleanup() }
        let url = dir.file("big.json")
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 9 << 30)
        try handle.close()
        let r = try run(["validate", "--manifest", url.path], timeout: 60)
        #expect(r.status == 2 && r.output.contains("more than"), "\(r.output)")
    }
}
