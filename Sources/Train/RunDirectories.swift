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
    public static let bestName = "best_model.safetensors"
    public var best: URL { checkpoints.appendingPathComponent(Self.bestName) }
    public var metricsLog: URL { logs.appendingPathComponent("metrics.jsonl") }
    public func prediction(epoch: Int) -> URL { results.appendingPathComponent(String(format: "epoch_%04d_prediction.png", epoch)) }
}
