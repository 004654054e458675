import Foundation
import Ingest
import Testing
import TestSupport

/// The command line as a user meets it: exit statuses and messages.
@Suite struct CLITests {
    func run(_ args: [String]) throws -> (status: Int32, output: String) {
        try runProcess(try batvisionExecutable(), args)
    }

    @Test func v1MelIsRefusedBeforeAnyWork() throws {
        let dir = try TemporaryFolder("cli")
        defer { dir.cleanup() }
        let r = try run(["featurize", "--dataset", "batvisionv1", "--audio_format", "mel_spectrogram",
                         "--cache_dir", dir.file("cache").path, "--manifest", dir.file("none.json").path])
        // Two flags that cannot go together: a usage error, naming the formats V1 has.
        #expect(r.status == 64)
        #expect(r.output.contains("spectrogram") && r.output.contains("waveform"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("cache").path))
    }

    /// `--gemm` reaches the model: `bench train` names the library that ran, and `auto`
    /// names the one this CPU's flags pick.
    @Test(arguments: ["openblas", "onednn", "auto"])
    func benchTrainRunsOnTheGemmAskedFor(_ gemm: String) throws {
        let r = try run(["bench", "train", "--num_downs", "5", "--ngf", "2", "--size", "32", "--batch", "2",
                         "--steps", "1", "--warmup", "0", "--threads", "2", "--gemm", gemm])
        #expect(r.status == 0, "\(r.output)")
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f") ?? false
        let expected = gemm == "auto" ? (flags ? "onednn" : "openblas") : gemm
        #expect(r.output.contains("\"gemm\": \"\(expected)\"") && r.output.contains("\"threads\": 2"), "\(r.output)")
        // The step's phases, in order, account for the step (the clock runs across them all).
        let line = try #require(r.output.split(separator: "\n").first { $0.hasPrefix("{") }, "\(r.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let phases = try #require(json["phase_seconds"] as? [String: Double], "\(line)")
        #expect(Set(phases.keys) == ["zero_grad", "forward", "loss", "backward", "clip_and_optimizer"])
        #expect(line.range(of: "\"zero_grad\".*\"forward\".*\"loss\".*\"backward\".*\"clip_and_optimizer\"", options: .regularExpression) != nil)
        let step = try #require(json["seconds_per_step"] as? Double), sum = phases.values.reduce(0, +)
        #expect(phases.values.allSatisfy { $0 >= 0 } && phases["forward"]! > 0 && phases["backward"]! > 0)
        #expect(sum <= step + 1e-3 && sum >= 0.9 * step - 1e-3, "phases \(sum) s against a step of \(step) s")
    }

    /// Each engine calls its own library's product and never the other's, whatever the
    /// host: the dynamic linker binds a library function lazily, at its first call, and
    /// `LD_DEBUG=bindings` logs each binding with the library it resolved to. This holds on
    /// hosts where the two libraries round alike, where comparing results could not tell.
    /// The portable path calls neither.
    @Test(arguments: ["openblas", "onednn", "auto", "portable"])
    func eachEngineBindsOnlyItsOwnLibrary(_ gemm: String) throws {
        let dir = try TemporaryFolder("ld-debug")
        defer { dir.cleanup() }
        var env = ProcessInfo.processInfo.environment
        env["LD_BIND_NOW"] = nil  // binding at load time would bind every symbol, called or not
        env["LD_DEBUG"] = "bindings"
        env["LD_DEBUG_OUTPUT"] = dir.file("bindings").path
        let r = try runProcess(try batvisionExecutable(), ["bench", "train", "--num_downs", "5", "--ngf", "2", "--size", "32",
                                                           "--batch", "2", "--steps", "1", "--warmup", "0", "--threads", "2",
                                                           "--gemm", gemm], environment: env)
        #expect(r.status == 0, "\(r.output)")
        let logs = try FileManager.default.contentsOfDirectory(at: dir.url, includingPropertiesForKeys: nil)
        let text = try logs.map { try String(contentsOf: $0, encoding: .utf8) }.joined()
        // The libraries `symbol` was bound to. Matched anywhere, not per line: the linker
        // writes a binding in several pieces, which two threads binding at once interleave.
        func bound(_ symbol: String) -> [String] {
            let pattern = try! NSRegularExpression(pattern: "to (\\S+) \\[[0-9]+\\]: normal symbol `\(symbol)'")
            return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
                Range($0.range(at: 1), in: text).map { String(text[$0]) }
            }
        }
        let avx512 = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f") ?? false
        let engine = gemm == "auto" ? (avx512 ? "onednn" : "openblas") : gemm
        if engine == "portable" {
            #expect(bound("cblas_sgemm").isEmpty && bound("dnnl_sgemm").isEmpty, "portable called a library: \(bound("cblas_sgemm")) \(bound("dnnl_sgemm"))")
            return
        }
        let (own, other) = engine == "onednn" ? (("dnnl_sgemm", "libdnnl"), "cblas_sgemm") : (("cblas_sgemm", "libopenblas"), "dnnl_sgemm")
        let ownBindings = bound(own.0)
        #expect(!ownBindings.isEmpty && ownBindings.allSatisfy { $0.contains(own.1) }, "\(gemm): \(own.0) bound \(ownBindings)")
        #expect(bound(other).isEmpty, "\(gemm): \(other) was called: \(bound(other))")
    }

    @Test func ingestExitStatusSaysWhetherThereWereProblems() throws {
        let data = try SmallDataset(samples: 6)
        defer { data.dir.cleanup() }
        let manifest = data.dir.file("m2.json").path
        let clean = try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--manifest", manifest])
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("6 samples") && clean.output.contains("problems: 0"))
        let victim = try #require(data.manifest.samples.first)
        try FileManager.default.removeItem(at: data.root.url.appendingPathComponent(victim.depth.path))
        let broken = try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--manifest", manifest])
        #expect(broken.status == 1)
        #expect(broken.output.contains("missing_file") && broken.output.contains(victim.id))
        let strict = try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path,
                              "--manifest", data.dir.file("m3.json").path, "--strict"])
        #expect(strict.status == 1 && !FileManager.default.fileExists(atPath: data.dir.file("m3.json").path))
        let validate = try run(["validate", "--manifest", manifest, "--dataset_dir", data.root.url.path])
        #expect(validate.status == 0, "\(validate.output)")
        let missing = try run(["validate", "--manifest", data.dir.file("nope.json").path])
        #expect(missing.status == 2 && missing.output.contains("nope.json"))
    }

    /// After `ingest --dataset_dir D` the next commands find D's manifest without being
    /// told; ingest reads the conf file's dataset_dir and location_blacklist.
    @Test func theNextCommandsFindTheLastIngestedManifest() throws {
        let data = try SmallDataset(samples: 6)
        defer { data.dir.cleanup() }
        let work = data.dir.file("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let bv = try batvisionExecutable()
        let conf = Fixtures.repository.appendingPathComponent("conf").path
        let ingest = try runProcess(bv, ["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path, "--conf_dir", conf], in: work)
        #expect(ingest.status == 0, "\(ingest.output)")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("data-manifests/batvisionv2-data.json").path))
        let featurize = try runProcess(bv, ["featurize", "--dataset", "batvisionv2", "--conf_dir", conf, "--images_size", "16",
                                            "--cache_dir", data.dir.file("cache").path, "--quiet"], in: work)
        #expect(featurize.status == 0 && featurize.output.contains("6 samples"), "\(featurize.output)")

        // The conf file's folder and blacklist, when no flag gives them.
        let location = try #require(data.manifest.samples.first?.location)
        let confDir = data.dir.file("conf")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: conf), to: confDir)
        try Data("dataset_dir: \(data.root.url.path)\nlocation_blacklist: [\(location)]\n".utf8)
            .write(to: confDir.appendingPathComponent("dataset/batvisionv2.yaml"))
        let blacklisted = try runProcess(bv, ["ingest", "--dataset", "batvisionv2", "--conf_dir", confDir.path,
                                              "--manifest", data.dir.file("b.json").path], in: work)
        #expect(blacklisted.status == 0, "\(blacklisted.output)")
        let m = try Manifest.load(from: data.dir.file("b.json"))
        #expect(m.locationBlacklist == [location] && !m.samples.isEmpty && m.samples.allSatisfy { $0.location != location })
    }

    /// Errors that stop a command exit 2 with a plain message, not a Foundation dump.
    @Test func unwritableOutputIsAPlainError() throws {
        let data = try SmallDataset(samples: 4)
        defer { data.dir.cleanup() }
        let blocker = data.dir.file("file-not-folder")
        try Data("x".utf8).write(to: blocker)
        let r = try run(["ingest", "--dataset", "batvisionv2", "--dataset_dir", data.root.url.path,
                         "--manifest", blocker.appendingPathComponent("m.json").path])
        #expect(r.status == 2 && r.output.contains("cannot write") && !r.output.contains("NSCocoaErrorDomain"), "\(r.output)")
    }
}
