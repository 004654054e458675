import ArgumentParser
import Cache

/// Where reports go and how they break the errors down (conf/mode/test.yaml);
/// `EvaluationConfig` holds the rules.
struct EvaluationOptions: ParsableArguments {
    @Option(name: .setting(\.evalOn), help: .setting(\.evalOn))
    var evalOn: EvalSplit?
    @Option(name: .setting(\.minDepth), help: .setting(\.minDepth))
    var minDepth: Double?
    @Option(name: .setting(\.maxEvalDepth), help: .setting(\.maxEvalDepth))
    var maxEvalDepth: Nullable<Double>?
    @Flag(name: .setting(\.rawDepth), inversion: .prefixedNo, help: .setting(\.rawDepth))
    var rawDepth: Bool?
    @Option(name: .setting(\.evalDepthResize), help: .setting(\.evalDepthResize))
    var evalDepthResize: DepthResize?
    @Option(name: .setting(\.statDir), help: .setting(\.statDir))
    var statDir: String?
    @Option(name: .setting(\.depthBin), help: .setting(\.depthBin))
    var depthBin: Double?
}
