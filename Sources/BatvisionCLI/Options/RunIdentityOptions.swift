import ArgumentParser
import Foundation
import Model
import Train

/// What names a run: `<name>_<dataset>_BS<batch>_Lr<lr>_<optimizer>_<experiment_name>`.
/// Train takes these as its settings; eval takes them to find the run.
struct RunIdentityOptions: ParsableArguments {
    @Option(name: .setting(\.experimentName), help: .setting(\.experimentName))
    var experimentName: String?
    @Option(name: .setting(\.learningRate), help: .setting(\.learningRate))
    var learningRate: Double?
    @Option(name: .setting(\.batchSize), help: .setting(\.batchSize))
    var batchSize: Int?
    @Option(name: .setting(\.optimizer), help: .setting(\.optimizer))
    var optimizer: OptimizerKind?
    @Option(name: .setting(\.outputDir), help: .setting(\.outputDir))
    var outputDir: String?
    @Option(name: .setting(\.seed), help: .setting(\.seed))
    var seed: UInt64?

    struct Resolved {
        var experimentName: String, learningRate: Double, batchSize: Int, optimizer: OptimizerKind, outputDir: URL, seed: UInt64
    }

    func resolve(_ r: inout SettingsResolver) throws -> Resolved {
        Resolved(experimentName: try r.value(\.experimentName, flag: experimentName),
                 learningRate: try r.value(\.learningRate, flag: learningRate),
                 batchSize: try r.value(\.batchSize, flag: batchSize),
                 optimizer: try r.value(\.optimizer, flag: optimizer),
                 outputDir: try r.path(\.outputDir, flag: outputDir),
                 seed: try r.value(\.seed, flag: seed))
    }
}
