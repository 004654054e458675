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
                throw TrainError.checkpoint(path: directories.checkpoints.path, reason: "no checkpoints here: train first, or pass --checkpoint PATH")
            }
            return directories.checkpoint(epoch: last)
        }
    }

    /// The model and feature config a checkpoint needs: its own metadata, or (a converted
    /// PyTorch checkpoint has none) the U-Net's shape read from its tensors and `features`.
    public static func configuration(of info: CheckpointInfo?, tensors: [String: NamedTensor], features: FeatureConfig,
                                     source: String) throws -> (UNetConfig, FeatureConfig, String?) {
        if let info { return (info.model, info.feature, info.manifestDigest) }
        return (try UNetConfig.inferred(from: tensors, depthNorm: features.depthNorm, source: source), features, nil)
    }
}
