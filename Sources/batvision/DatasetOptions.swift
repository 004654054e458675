import ArgumentParser
import Foundation
import Ingest

extension DatasetKind: ExpressibleByArgument {}

/// Which dataset and where it is; shared by the commands that read raw data.
struct DatasetOptions: ParsableArguments {
    @Option(name: .customLong("dataset"), help: "batvisionv1 or batvisionv2.")
    var dataset: DatasetKind

    @Option(name: .customLong("dataset_dir"), help: "The dataset root (the folder with the split CSVs, or V2's location folders).")
    var datasetDir: String

    @Option(name: .customLong("manifest"), help: "Manifest path (default: data-manifests/<dataset>-<folder name>.json).")
    var manifest: String?

    var rootURL: URL { URL(fileURLWithPath: datasetDir) }
    var manifestURL: URL {
        manifest.map { URL(fileURLWithPath: $0) } ?? Manifest.defaultPath(dataset: dataset, datasetDir: rootURL)
    }
}
