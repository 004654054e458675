import Cache
import Foundation
import Model
import Train

/// Which checkpoint `eval` reads, and the model and features it needs.
public enum CheckpointLocator {
    public static func resolve(_ choice: CheckpointChoice, directories: RunDirectories) throws -> URL {
        switch choice {
        case let .file(url): return url
        case .best: return directories.best
        case let .epoch(epoch): return directories.checkpoint(epoch: epoch)
        case .latest:
            guard let last = directories.checkpointEpochs.max() else {
                throw TrainError.checkpoint(path: directories.checkpoints.path, reason: "no checkpoints here: train first, or pass --checkpoint PATH. " + runsBeside(directories))
            }
            return directories.checkpoint(epoch: last)
        }
    }

    /// The runs that have checkpoints beside the one asked for, with their epochs: what a
    /// mistyped run name meant.
    static func runsBeside(_ directories: RunDirectories) -> String {
        let folder = directories.checkpoints.deletingLastPathComponent()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        let runs = names.compactMap { name -> String? in
            let run = RunDirectories(outputDir: folder.deletingLastPathComponent(), runName: name)
            let epochs = run.checkpointEpochs.sorted()
            let best = FileManager.default.fileExists(atPath: run.best.path)
            guard !epochs.isEmpty || best else { return nil }
            return "\(name) (epochs \(epochs.map(String.init).joined(separator: ", "))\(best ? "; best_model" : ""))"
        }
        return runs.isEmpty ? "No run in \(folder.path) has checkpoints." : "Runs with checkpoints in \(folder.path) (eval --run NAME): " + runs.joined(separator: "; ")
    }

    /// The model and feature config a checkpoint needs: its own metadata, or (a converted
    /// PyTorch checkpoint has none) the U-Net's shape read from its tensors and `features`.
    public static func configuration(of info: CheckpointInfo?, tensors: [String: NamedTensor], features: FeatureConfig,
                                     source: String) throws -> (UNetConfig, FeatureConfig, String?) {
        if let info { return (info.model, info.feature, info.manifestDigest) }
        return (try UNetConfig.inferred(from: tensors, depthNorm: features.depthNorm, source: source), features, nil)
    }
}
