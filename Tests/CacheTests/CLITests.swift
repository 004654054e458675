import Foundation
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
        #expect(r.status == 2)
        #expect(r.output.contains("spectrogram") && r.output.contains("waveform"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("cache").path))
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
}
