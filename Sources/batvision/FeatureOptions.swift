import ArgumentParser
import Cache
import Foundation
import Ingest

/// Feature settings and where things are, shared by featurize, train, eval and validate.
/// Unset options fall back to `conf/dataset/<dataset>.yaml`, then to SPEC's defaults.
struct FeatureOptions: ParsableArguments {
    @Option(name: .customLong("dataset"), help: "batvisionv1 or batvisionv2.")
    var dataset: DatasetKind

    @Option(name: .customLong("dataset_dir"), help: "Dataset root (default: the one the manifest was ingested from).")
    var datasetDir: String?

    @Option(name: .customLong("manifest"), help: "Manifest written by ingest (default: the conf file's `manifest`).")
    var manifest: String?

    @Option(name: .customLong("cache_dir"), help: "Where caches live: <cache_dir>/<dataset>/<key>/ (default: conf `cache_dir`).")
    var cacheDir: String?

    @Option(name: .customLong("audio_format"), help: "spectrogram, mel_spectrogram or waveform (V1: no mel_spectrogram).")
    var audioFormat: String?

    @Option(name: .customLong("max_depth"), help: "Clip depth at this many metres; `null` for none.")
    var maxDepth: String?

    @Option(name: .customLong("depth_norm"), help: "true: divide depth by max_depth.")
    var depthNorm: String?

    @Option(name: .customLong("images_size"), help: "Side S of the square features and depth.")
    var imagesSize: String?

    @Option(name: .customLong("preprocess"), help: "resize (what the Batvision loaders do).")
    var preprocess: String?

    @Option(name: .customLong("conf_dir"), help: "Folder of YAML defaults.")
    var confDir: String = "conf"

    /// Conf files, then these flags on top.
    func settings(extraConf: [String] = []) throws -> Settings {
        var s = try Settings.load(dataset: dataset, confDir: URL(fileURLWithPath: confDir), extra: extraConf)
        s.set("dataset", dataset.rawValue)
        s.set("dataset_dir", datasetDir)
        s.set("manifest", manifest)
        s.set("cache_dir", cacheDir)
        s.set("audio_format", audioFormat)
        s.set("max_depth", maxDepth)
        s.set("depth_norm", depthNorm)
        s.set("images_size", imagesSize)
        s.set("preprocess", preprocess)
        return s
    }

    /// The manifest and the dataset root it describes.
    func manifestAndRoot(_ s: Settings) throws -> (Manifest, DatasetRoot) {
        let path = URL(fileURLWithPath: try s.string("manifest"))
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw CacheError.config("no manifest at \(path.path): run `batvision ingest --dataset \(dataset.rawValue) --dataset_dir DIR --manifest \(path.path)` first")
        }
        let m = try Manifest.load(from: path)
        guard m.dataset == dataset else {
            throw CacheError.config("\(path.path) is a \(m.dataset.rawValue) manifest, not \(dataset.rawValue)")
        }
        return (m, try DatasetRoot(URL(fileURLWithPath: datasetDir ?? m.datasetDir)))
    }
}
