import Cache
import Ingest
import Foundation
import FuzzSupport

/// Cache attributes and layout: a cache file whose root attributes and dataset shapes come
/// from the input is opened as `train` and `eval` open one (then read like `BatchStream`):
/// a FeatureCache or a CacheError/HDF5Error, never a trap or a huge allocation.
let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-cacheattrs-\(getpid()).h5").path

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    var input = Array(UnsafeBufferPointer(start: bytes, count: count))[...]
    func byte() -> UInt8 { input.popFirst() ?? 0 }
    func int() -> Int { Int(Int16(bitPattern: UInt16(byte()) << 8 | UInt16(byte()))) }
    func text() -> String {
        let n = Int(byte() % 24)
        let chunk = input.prefix(n)
        input = input.dropFirst(n)
        return String(decoding: chunk, as: UTF8.self)
    }
    let names = ["schema_version", "dataset", "audio_format", "n_fft", "win_length", "hop_length", "n_mels", "f_min",
                 "f_max", "sample_rate", "cut_samples", "max_depth", "depth_norm", "images_size", "preprocess",
                 "manifest_digest", "tool_version", "complete", "shard_index", "shard_count", "sample_start",
                 "sample_end", "merged_from_shards"]
    let choices = ["batvisionv1", "batvisionv2", "spectrogram", "mel_spectrogram", "waveform", "resize"]
    do {
        let file = try HDF5File(path: path, mode: .create)
        for split in ["train", "val", "test"] where byte() & 1 == 1 {
            try file.createGroup("/\(split)")
            let rows = Int(byte() % 4), c = Int(byte() % 3), s = Int(byte() % 9)
            _ = try file.createFloatDataset("/\(split)/audio", shape: [rows, c, s, s])
            _ = try file.createFloatDataset("/\(split)/depth", shape: [rows, 1, s, s])
            if byte() & 1 == 1 {
                let ids = try file.createStringDataset("/\(split)/sample", count: rows, maxLength: 4)
                if rows > 0 { try ids.writeStrings((0..<rows).map { "s\($0)" }) }
            }
        }
        for name in names {
            switch byte() % 5 {
            case 0: continue
            case 1: try file.setAttribute(name, int())
            case 2: try file.setAttribute(name, Double(int()) / Double(max(1, Int(byte()))) * (byte() & 1 == 1 ? 1e300 : 1))
            case 3: try file.setAttribute(name, choices[Int(byte()) % choices.count])
            default: try file.setAttribute(name, text())
            }
        }
        file.close()
        let cache = try FeatureCache(path: URL(fileURLWithPath: path))
        for split in Split.allCases where cache.count(split) > 0 {
            _ = try cache.sample(split, 0)
            _ = try cache.sampleIds(split)
        }
    } catch {}
    return 0
}

@_cdecl("fuzz_cacheattrs_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
