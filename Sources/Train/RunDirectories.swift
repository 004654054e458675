import Foundation

/// Where a run writes (SPEC section 4): checkpoints/<run>/, results/<run>/, logs/<run>/.
public struct RunDirectories: Sendable {
    public let checkpoints: URL, results: URL, logs: URL

    public init(outputDir: URL, runName: String) {
        checkpoints = outputDir.appendingPathComponent("checkpoints").appendingPathComponent(runName)
        results = outputDir.appendingPathComponent("results").appendingPathComponent(runName)
        logs = outputDir.appendingPathComponent("logs").appendingPathComponent(runName)
    }

    public func checkpoint(epoch: Int) -> URL { checkpoints.appendingPathComponent("checkpoint_\(epoch).safetensors") }

    /// The epochs that have a checkpoint here (`checkpoint_<epoch>.safetensors`), unordered.
    public var checkpointEpochs: [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("checkpoint_"), name.hasSuffix(".safetensors"), !name.hasSuffix(".optim.safetensors") else { return nil }
            return Int(name.dropFirst("checkpoint_".count).dropLast(".safetensors".count))
        }
    }
    public static let bestName = "best_model.safetensors"
    public var best: URL { checkpoints.appendingPathComponent(Self.bestName) }
    public var metricsLog: URL { logs.appendingPathComponent("metrics.jsonl") }
    public func prediction(epoch: Int) -> URL { results.appendingPathComponent(String(format: "epoch_%04d_prediction.png", epoch)) }
    /// The last training batch's picture of an epoch (`print_tensorboard`).
    public func trainPrediction(epoch: Int) -> URL { results.appendingPathComponent(String(format: "epoch_%04d_train_prediction.png", epoch)) }
}
