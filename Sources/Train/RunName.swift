import Cache
import Foundation
import Ingest
import Model
import Support

/// What names a run (SPEC section 4): `<model>_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment>`.
/// `eval` forms it from the same settings to find the run's checkpoints.
public struct RunName: CustomStringConvertible, Equatable, Sendable {
    public var modelName: String
    public var dataset: DatasetKind
    public var batchSize: Int
    public var learningRate: Double
    public var optimizer: OptimizerKind
    public var experimentName: String
    /// The run's seed: named (`_seed<N>`) when it is not 0, so runs of several seeds have
    /// folders of their own while the default keeps SPEC's name.
    public var seed: UInt64

    public init(modelName: String, dataset: DatasetKind, batchSize: Int, learningRate: Double,
                optimizer: OptimizerKind, experimentName: String, seed: UInt64 = 0) {
        self.modelName = modelName
        self.dataset = dataset
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.experimentName = experimentName
        self.seed = seed
    }

    public var description: String {
        "\(modelName)_\(dataset.rawValue)_BS\(batchSize)_Lr\(pythonFloat(learningRate))_\(optimizer.rawValue)_\(experimentName)"
            + (seed == 0 ? "" : "_seed\(seed)")
    }

    /// The parts given as text are one folder name's worth each: no separators, not `.` or `..`.
    public func validate() throws {
        for (key, value) in [("name", modelName), ("experiment_name", experimentName)] {
            guard !value.isEmpty, !value.contains("/"), !value.contains("\0"), value != ".", value != ".." else {
                throw SettingViolation(key, value, expected: "a name without '/' (it names folders)")
            }
        }
    }
}
