import ArgumentParser
import Foundation
import Ingest
import Support

/// Which dataset and where its manifest, raw files, caches and conf files are; shared by
/// featurize, train and eval. Unset options come from the conf files.
struct DataOptions: ParsableArguments {
    @Option(name: .setting(\.dataset), help: .setting(\.dataset))
    var dataset: DatasetKind

    @Option(name: .setting(\.manifest), help: .setting(\.manifest))
    var manifest: String?

    @Option(name: .customLong("dataset_dir"), help: "The raw dataset's root (default: the one the manifest was ingested from).")
    var datasetDir: String?

    @Option(name: .setting(\.cacheDir), help: .setting(\.cacheDir))
    var cacheDir: String?

    @Option(name: .customLong("conf_dir"), help: "The folder of YAML conf files (default: conf, when it exists).")
    var confDir: String?

    func resolver(for command: SettingCommand) throws -> SettingsResolver {
        try SettingsResolver.forConfDir(confDir, dataset: dataset, command: command)
    }

    /// The manifest: --manifest; else the default one for --dataset_dir; else a conf
    /// file's `manifest`; else the one the last `ingest` of this dataset wrote by default;
    /// else the built-in default.
    func manifestURL(_ r: inout SettingsResolver) throws -> URL {
        if let manifest { return try r.path(\.manifest, flag: manifest) }
        if let datasetDir {
            let url = homePath(Manifest.defaultPath(dataset: dataset, datasetDir: URL(fileURLWithPath: datasetDir)), r.home)
            r.record("manifest", url.path, origin: "default for --dataset_dir")
            return url
        }
        if !r.confFileSets("manifest"), let last = LastIngest.manifest(of: dataset, home: r.home) {
            r.record("manifest", last.path, origin: "last ingest (\(LastIngest.pointer(dataset, home: r.home).path))")
            return last
        }
        return try r.path(\.manifest, flag: nil)
    }

    func cacheDirURL(_ r: inout SettingsResolver) throws -> URL {
        try r.path(\.cacheDir, flag: cacheDir)
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
