import Foundation
import Support

/// One training step timed the way `bench_reference.py train` times PyTorch's: random
/// input and target in [0, 1), Combined loss on normalised depth (max_depth 12), backward,
/// clip to norm 1, AdamW lr 1e-3; `warmup` untimed steps, then the mean of `steps`.
public enum TrainStepBenchmark {
    public struct Result: Sendable {
        public var secondsPerStep: Double
        public var samplesPerSecond: Double
        /// The library that ran the products (`auto` resolved for this CPU).
        public var gemm: GemmEngine
        /// Mean seconds per timed step in each phase, in step order: where the time goes
        /// outside the products is what differs between hosts (docs/benchmarks.md).
        public var phases: [(name: String, seconds: Double)]
    }

    public static func run(numDowns: Int, ngf: Int, size: Int, batch: Int, steps: Int, warmup: Int,
                           par: Parallelism = .allCores, gemm: GemmEngine = .auto) throws -> Result {
        guard batch >= 1, steps >= 1, warmup >= 0 else {
            throw ModelError.config("bench train needs --batch >= 1, --steps >= 1 and --warmup >= 0")
        }
        let config = UNetConfig(numDowns: numDowns, ngf: ngf, depthNorm: true)
        try config.validate()
        try config.checkInput(height: size, width: size)
        try config.checkFits(batch: batch, size: size, training: true)
        let model = try UNet(config, par: par, gemm: gemm)
        try model.config.checkInput(height: size, width: size)
        model.initialize(seed: 0)
        let optimizer = Optimizer(.AdamW, parameters: model.parameters, learningRate: 1e-3, par: par)
        let loss = DepthLoss(criterion: .Combined, depthNorm: true, maxDepth: 12)
        var rng = SeededRandom(seed: 0)
        let x = FloatBuffer((0..<(batch * 2 * size * size)).map { _ in Float(rng.uniform(0, 1)) })
        let y = FloatBuffer((0..<(batch * size * size)).map { _ in Float(rng.uniform(0, 1)) })
        let grad = FloatBuffer(count: y.count)
        let names = ["zero_grad", "forward", "loss", "backward", "clip_and_optimizer"]
        var phaseSeconds = [Double](repeating: 0, count: names.count)
        func step() throws {
            var lap = Stopwatch(), phase = 0
            func mark() { phaseSeconds[phase] += lap.seconds; lap = Stopwatch(); phase += 1 }
            model.zeroGradients(); mark()
            let pred = try model.forward(x.pointer, batch: batch, height: size, width: size, training: true); mark()
            guard let p = pred.baseAddress else { return }
            _ = loss.evaluate(pred: p, gt: y.pointer, count: y.count, grad: grad.pointer, par: par); mark()
            model.backward(grad.pointer); mark()
            optimizer.apply(clippingGradientNormTo: 1); mark()
        }
        for _ in 0..<warmup { try step() }
        phaseSeconds = phaseSeconds.map { _ in 0 }
        let clock = Stopwatch()
        for _ in 0..<steps { try step() }
        let seconds = clock.seconds / Double(max(steps, 1))
        let phases = zip(names, phaseSeconds).map { (name: $0, seconds: $1 / Double(max(steps, 1))) }
        return Result(secondsPerStep: seconds, samplesPerSecond: Double(batch) / seconds, gemm: model.gemm.engine, phases: phases)
    }
}
