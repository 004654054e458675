import ArgumentParser
import Foundation
import Ingest
import Support

/// Which dataset and where its manifest, raw files, caches and conf files are; shared by
/// featurize, train and eval. Unset options come from the conf files.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("dataset"), help: "The dataset: its conf file conf/dataset/<dataset>.yaml gives the defaults.")
    var dataset: DatasetKind

    @Option(name: .customLong("manifest"), help: ArgumentHelp("The manifest written by ingest.", discussion: "Default: the one for --dataset_dir, else the one the last `ingest` wrote to data-manifests/, else the conf file's `manifest`."))
    var manifest: String?

    @Option(name: .customLong("dataset_dir"), help: "The raw dataset's root (default: the one the manifest was ingested from).")
    var datasetDir: String?

    @Option(name: .customLong("cache_dir"), help: "Where caches live: <cache_dir>/<dataset>/<key>/ (default: conf `cache_dir`).")
    var cacheDir: String?

    @Option(name: .customLong("conf_dir"), help: "The folder of YAML conf files (default: conf, when it exists).")
    var confDir: String?

    func resolver(files: [String] = []) throws -> SettingsResolver {
        try SettingsResolver.forConfDir(confDir, dataset: dataset, files: files)
    }

    /// The manifest: --manifest; else the default one for --dataset_dir; else a conf
    /// file's `manifest`; else the one the last `ingest` of this dataset wrote by default;
    /// else the built-in default.
    func manifestURL(_ r: inout SettingsResolver) throws -> URL {
        if let manifest { return URL(fileURLWithPath: try r.value("manifest", flag: manifest)) }
        if let datasetDir {
            let url = Manifest.defaultPath(dataset: dataset, datasetDir: URL(fileURLWithPath: datasetDir))
            r.record("manifest", url.path, origin: "default for --dataset_dir")
            return url
        }
        if !r.confFileSets("manifest"), let last = LastIngest.manifest(of: dataset) {
            r.record("manifest", last.path, origin: "last ingest (\(LastIngest.pointer(dataset).path))")
            return last
        }
        return URL(fileURLWithPath: try r.value("manifest", flag: nil as String?))
    }

    func cacheDirURL(_ r: inout SettingsResolver) throws -> URL {
        URL(fileURLWithPath: try r.value("cache_dir", flag: cacheDir))
    }

    /// The manifest at `url` and the dataset root it describes.
    func manifestAndRoot(_ url: URL) throws -> (Manifest, DatasetRoot) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw IngestError.manifest(path: url.path, reason: "no manifest here: run `batvision ingest --dataset \(dataset.rawValue) --dataset_dir DIR` first")
        }
        let m = try Manifest.load(from: url)
        guard m.dataset == dataset else {
            throw IngestError.manifest(path: url.path, reason: "a \(m.dataset.rawValue) manifest, not \(dataset.rawValue)")
        }
        return (m, try DatasetRoot(URL(fileURLWithPath: datasetDir ?? m.datasetDir)))
    }
}

/// The manifest the last `ingest` of a dataset wrote to its default place, so the next
/// commands find it without being told: `data-manifests/<dataset>.latest` holds its path.
enum LastIngest {
    static func pointer(_ dataset: DatasetKind) -> URL {
        URL(fileURLWithPath: "data-manifests").appendingPathComponent("\(dataset.rawValue).latest")
    }

    static func manifest(of dataset: DatasetKind) -> URL? {
        guard let data = try? readFile(pointer(dataset)) else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !path.isEmpty, FileManager.default.fileExists(atPath: path) else { return nil }
        return URL(fileURLWithPath: path)
    }

    static func remember(_ manifest: URL, of dataset: DatasetKind) throws {
        try writeFile(Data((manifest.standardizedFileURL.path + "\n").utf8), to: pointer(dataset))
    }
}

/// `--threads N`: how many threads a computing stage uses.
struct ThreadsOption: ParsableArguments {
    @Option(name: .customLong("threads"), help: "Threads to compute on (default: every core).")
    var threads: Int?

    func parallelism(_ r: inout SettingsResolver) throws -> Parallelism {
        let limit = 4 * Swift.max(ProcessInfo.processInfo.activeProcessorCount, 1)
        guard let n = try r.optional("threads", flag: threads.map { Nullable.value($0) }) else { return .allCores }
        try r.require("threads", n, (1...limit).contains(n), expected: "a value from 1 to \(limit)")
        return Parallelism(workers: n)
    }
}
