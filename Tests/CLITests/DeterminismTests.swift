import Foundation
import Model
import Support
import Testing
import TestSupport

/// `--deterministic`: the portable product path gives the same bits on every host. Two
/// epochs of the small model (6 levels, ngf 16, 64x64) on a waveform cache (no FFT, whose
/// SIMD codelets FFTW picks by CPU) end in one checkpoint, whatever the thread count, and
/// its checksum is pinned: an AVX2 host and an AVX-512 host must both reproduce it.
@Suite struct DeterminismTests {
    /// SHA-256 over every tensor of a checkpoint, by name, values as little-endian bytes.
    static func checksum(_ url: URL) throws -> String {
        let (tensors, _) = try SafeTensors.read(url)
        let hasher = SHA256Hasher()
        for name in tensors.keys.sorted() {
            hasher.update(Data(name.utf8))
            switch tensors[name]!.values {
            case .float32(let v): v.map(\.bitPattern.littleEndian).withUnsafeBytes { hasher.update($0) }
            case .int64(let v): v.map(\.littleEndian).withUnsafeBytes { hasher.update($0) }
            }
        }
        return hasher.finalizeHex()
    }

    /// Measured on an AVX-512 EPYC (Zen 4) in debug and release builds alike; any other host
    /// must give the same.
    static let pinned = "1cb12428f3b8374b23839c85c11acecaf0218cf7b662091e07ea50fa6b04eb16"

    @Test func twoEpochsOfTheSmallModelHaveOneChecksumOnEveryHost() throws {
        let data = try SmallDataset(samples: 14)
        defer { data.dir.cleanup() }
        let bv = try batvisionExecutable()
        let common = ["--dataset", "batvisionv2", "--manifest", data.dir.file("manifest.json").path,
                      "--cache_dir", data.dir.file("cache").path, "--audio_format", "waveform", "--images_size", "64",
                      "--conf_dir", Fixtures.repository.appendingPathComponent("conf").path]
        #expect(try runProcess(bv, ["featurize", "--quiet"] + common).status == 0)
        var sums: [String] = []
        for threads in ["1", "2"] {
            let out = data.dir.file("run\(threads)")
            let r = try runProcess(bv, ["train"] + common + ["--num_downs", "6", "--ngf", "16", "--batch_size", "4", "--epochs", "2",
                                                             "--deterministic", "--threads", threads, "--output_dir", out.path,
                                                             "--experiment_name", "det", "--no_use_wandb"])
            #expect(r.status == 0, "\(r.output)")
            let run = out.appendingPathComponent("checkpoints/unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_det/checkpoint_2.safetensors")
            sums.append(try Self.checksum(run))
            let config = try String(contentsOf: out.appendingPathComponent("logs/unet_baseline_batvisionv2_BS4_Lr0.002_AdamW_det/config.yaml"), encoding: .utf8)
            #expect(config.contains("deterministic: true  # command line"), "\(config)")
        }
        #expect(sums[0] == sums[1], "1 thread \(sums[0]), 2 threads \(sums[1])")
        #expect(sums[0] == Self.pinned, "checksum \(sums[0])")
        // A --gemm that contradicts it is a usage error.
        let clash = try runProcess(bv, ["train"] + common + ["--deterministic", "--gemm", "onednn", "--epochs", "1"])
        #expect(clash.status == 64 && clash.output.contains("contradicts --deterministic"), "\(clash.output)")
        let benchClash = try runProcess(bv, ["bench", "train", "--num_downs", "5", "--ngf", "2", "--size", "32", "--deterministic", "--gemm", "onednn"])
        #expect(benchClash.status == 64 && benchClash.output.contains("contradicts --deterministic"), "\(benchClash.output)")
    }
}
