import ArgumentParser
import Foundation
import Model
import Train

/// Training settings under the baseline's flag names; unset ones come from
/// conf/mode/train.yaml, then SPEC's defaults. `TrainingConfig` holds the rules.
struct TrainOptions: ParsableArguments {
    @Option(name: .setting(\.epochs), help: .setting(\.epochs))
    var epochs: Int?
    @Option(name: .setting(\.criterion), help: .setting(\.criterion))
    var criterion: Criterion?
    @Option(name: .setting(\.l1Weight), help: .setting(\.l1Weight))
    var l1Weight: Double?
    @Option(name: .setting(\.silogWeight), help: .setting(\.silogWeight))
    var silogWeight: Double?
    @Option(name: .setting(\.silogLambda), help: .setting(\.silogLambda))
    var silogLambda: Double?
    @Option(name: .setting(\.clipGradNorm), help: .setting(\.clipGradNorm))
    var clipGradNorm: Double?
    @Option(name: .setting(\.validation), help: .setting(\.validation))
    var validation: BoolSetting?
    @Option(name: .setting(\.validationIter), help: .setting(\.validationIter))
    var validationIter: Int?
    @Option(name: .setting(\.savingCheckpoints), help: .setting(\.savingCheckpoints))
    var savingCheckpoints: Int?
    @Option(name: .setting(\.checkpoints), help: .setting(\.checkpoints))
    var checkpoints: Nullable<Int>?
    @Flag(name: .setting(\.saveBestModel), inversion: .prefixedNo, help: .setting(\.saveBestModel))
    var saveBestModel: Bool?
    @Option(name: .setting(\.bestMetric), help: .setting(\.bestMetric))
    var bestMetric: BestMetric?
    @Option(name: .setting(\.shuffle), help: .setting(\.shuffle))
    var shuffle: BoolSetting?
    @Option(name: .setting(\.predictionSamples), help: .setting(\.predictionSamples))
    var predictionSamples: Int?
    @Option(name: .setting(\.printTensorboard), help: .setting(\.printTensorboard))
    var printTensorboard: Int?
    @Option(name: .setting(\.validationDisplay), help: .setting(\.validationDisplay))
    var validationDisplay: Int?
    @Option(name: .setting(\.numThreads), help: .setting(\.numThreads))
    var numThreads: Int?

    func apply(to c: inout TrainingConfig, _ r: inout SettingsResolver) throws {
        c.epochs = try r.value(\.epochs, flag: epochs)
        c.loss = DepthLoss(criterion: try r.value(\.criterion, flag: criterion),
                           l1Weight: try r.value(\.l1Weight, flag: l1Weight),
                           silogWeight: try r.value(\.silogWeight, flag: silogWeight),
                           silogLambda: try r.value(\.silogLambda, flag: silogLambda),
                           depthNorm: c.feature.depthNorm, maxDepth: c.feature.maxDepth ?? 1)
        c.clipGradNorm = try r.value(\.clipGradNorm, flag: clipGradNorm)
        c.validation = try r.bool(\.validation, flag: validation?.value)
        c.validationIter = try r.value(\.validationIter, flag: validationIter)
        c.savingCheckpoints = try r.value(\.savingCheckpoints, flag: savingCheckpoints)
        c.resumeEpoch = try r.optional(\.checkpoints, flag: checkpoints)
        c.saveBestModel = try r.bool(\.saveBestModel, flag: saveBestModel)
        c.bestMetric = try r.value(\.bestMetric, flag: bestMetric)
        c.shuffle = try r.bool(\.shuffle, flag: shuffle?.value)
        c.predictionSamples = try r.value(\.predictionSamples, flag: predictionSamples)
        c.printTensorboard = try r.value(\.printTensorboard, flag: printTensorboard)
        c.validationDisplay = try r.value(\.validationDisplay, flag: validationDisplay)
        c.numThreads = try r.value(\.numThreads, flag: numThreads)
    }
}
