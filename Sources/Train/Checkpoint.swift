import Cache
import Foundation
import Model
import Support

/// What a checkpoint says about itself (safetensors `__metadata__["batvision"]`, JSON):
/// enough for `eval` to rebuild the model and find the cache of its own feature config.
public struct CheckpointInfo: Codable, Equatable, Sendable {
    public static let currentFormat = "batvision-checkpoint-1"
    public var format: String = CheckpointInfo.currentFormat
    public var epoch: Int
    public var runName: String
    public var model: UNetConfig
    public var feature: FeatureConfig
    public var manifestDigest: String
    /// The resolved settings of the run (every conf key and flag), as text.
    public var settings: [String: String]
    /// Validation metrics of this epoch, when it was validated.
    public var metrics: [String: Double]?
    public var trainLoss: Double?

    public init(epoch: Int, runName: String, model: UNetConfig, feature: FeatureConfig, manifestDigest: String,
                settings: [String: String], metrics: [String: Double]?, trainLoss: Double?) {
        self.epoch = epoch
        self.runName = runName
        self.model = model
        self.feature = feature
        self.manifestDigest = manifestDigest
        self.settings = settings
        self.metrics = metrics
        self.trainLoss = trainLoss
    }
}

/// Checkpoints as safetensors: `<name>.safetensors` holds the model's state_dict under
/// PyTorch's names (so `model.load_state_dict(safetensors.torch.load_file(path))` works on
/// the reference U-Net) with `CheckpointInfo` in its metadata; `<name>.optim.safetensors`
/// holds the optimiser's moments and step for an exact resume.
public enum Checkpoint {
    /// Writes the checkpoint as a pair: an older model file of that name goes first, then
    /// the optimiser file, then the model file, each atomically; a failure removes what
    /// this call wrote. So a model file always has the optimiser state written with it, and
    /// an optimiser file without its model (a crash in between) is removed by the next run.
    public static func save(model: UNet, optimizer: Optimizer?, info: CheckpointInfo, to url: URL) throws {
        let json = String(decoding: try JSONCoding.encoder().encode(info), as: UTF8.self)
        let optURL = optimizerURL(url)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            // Only a checkpoint file is replaced; anything else in its place stays and stops the save.
            guard !isDirectory.boolValue else { throw FileError.write(path: url.path, reason: "a folder is in the checkpoint's place") }
            if optimizer != nil {
                do { try FileManager.default.removeItem(at: url) } catch {
                    throw FileError.write(path: url.path, reason: "cannot replace it: \(plainReason(error))")
                }
            }
        }
        // Written from the model's and the optimiser's own buffers: no copy of either file
        // in memory (what `MemoryEstimate` counts on).
        if let optimizer {
            let state = optimizer.stateSources()
            try SafeTensors.write(state.tensors, metadata: state.metadata, to: optURL)
        }
        do {
            try SafeTensors.write(model.stateSources(), metadata: ["format": "pt", "batvision": json, "epoch": String(info.epoch)], to: url)
        } catch {
            if optimizer != nil { try? FileManager.default.removeItem(at: optURL) }
            throw error
        }
    }

    public static func optimizerURL(_ url: URL) -> URL {
        url.deletingPathExtension().appendingPathExtension("optim.safetensors")
    }

    /// The tensors and, when present, our metadata (a converted PyTorch checkpoint has none).
    public static func read(_ url: URL) throws -> (tensors: [String: NamedTensor], info: CheckpointInfo?) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainError.checkpoint(path: url.path, reason: "no such checkpoint")
        }
        let (tensors, metadata) = try SafeTensors.read(url)
        guard let json = metadata["batvision"] else { return (tensors, nil) }
        return (tensors, try info(fromMetadata: json, path: url.path))
    }

    /// Our metadata (`__metadata__["batvision"]`), decoded and checked: a model or feature
    /// config no run could have is refused before anything is built from it.
    public static func info(fromMetadata json: String, path: String) throws -> CheckpointInfo {
        let info: CheckpointInfo
        do {
            info = try JSONCoding.decoder().decode(CheckpointInfo.self, from: Data(json.utf8))
        } catch {
            throw TrainError.checkpoint(path: path, reason: "unreadable batvision metadata: \(error)")
        }
        do {
            try info.model.validate()
            try info.feature.validate()
        } catch {
            throw TrainError.checkpoint(path: path, reason: "its metadata describes an impossible run: \(plainReason(error))")
        }
        return info
    }
}
