import Cache
import Foundation
import Train

/// Which checkpoint `eval` reads: `--checkpoint PATH`, else the run's
/// `checkpoint_<N>` (`--checkpoints N`) or `best_model` (`--best`).
public enum CheckpointLocator {
    public static func resolve(path: String?, epoch: Int?, best: Bool, directories: RunDirectories) throws -> URL {
        if let path { return URL(fileURLWithPath: path) }
        if best { return directories.best }
        if let epoch { return directories.checkpoint(epoch: epoch) }
        // Default: the latest checkpoint of the run.
        let items = (try? FileManager.default.contentsOfDirectory(atPath: directories.checkpoints.path)) ?? []
        let epochs = items.compactMap { name -> Int? in
            guard name.hasPrefix("checkpoint_"), name.hasSuffix(".safetensors"), !name.hasSuffix(".optim.safetensors") else { return nil }
            return Int(name.dropFirst("checkpoint_".count).dropLast(".safetensors".count))
        }
        guard let last = epochs.max() else {
            throw TrainError.checkpoint(path: directories.checkpoints.path, reason: "no checkpoints here: train first, or pass --checkpoint PATH")
        }
        return directories.checkpoint(epoch: last)
    }

    /// The model and feature config a checkpoint needs: its own metadata, or (a converted
    /// PyTorch checkpoint has none) the U-Net's shape read from its tensors and the
    /// settings' feature config.
    public static func configuration(of info: CheckpointInfo?, tensors: [String: NamedTensor], settings: Settings,
                                     source: String) throws -> (UNetConfig, FeatureConfig, String?) {
        if let info { return (info.model, info.feature, info.manifestDigest) }
        let feature = try settings.featureConfig()
        return (try UNetConfig.inferred(from: tensors, depthNorm: feature.depthNorm, source: source), feature, nil)
    }
}
