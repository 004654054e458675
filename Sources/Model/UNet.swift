import Foundation
import Support

/// Shape of a Batvision U-Net: `unet_256` = 8 levels, `unet_128` = 7, both ngf 64; any
/// num_downs >= 5 and any ngf for small CPU models.
public struct UNetConfig: Equatable, Sendable, Codable {
    public var inputChannels: Int
    public var outputChannels: Int
    public var numDowns: Int
    public var ngf: Int
    /// Sigmoid head when depth is normalised, else ReLU.
    public var depthNorm: Bool

    public init(inputChannels: Int = 2, outputChannels: Int = 1, numDowns: Int, ngf: Int, depthNorm: Bool) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.numDowns = numDowns
        self.ngf = ngf
        self.depthNorm = depthNorm
    }

    /// `unet_256` / `unet_128` or nil for other names.
    public static func levels(forGenerator name: String) -> Int? {
        switch name {
        case "unet_256": return 8
        case "unet_128": return 7
        default: return nil
        }
    }

    /// Refuses shapes no U-Net here can have (from flags or a checkpoint's metadata),
    /// before anything is allocated.
    public func validate() throws {
        guard Self.levels.contains(numDowns) else {
            throw SettingViolation("num_downs", numDowns, expected: "a value from \(Self.levels.lowerBound) to \(Self.levels.upperBound)")
        }
        guard Self.filters.contains(ngf) else {
            throw SettingViolation("ngf", ngf, expected: "a value from \(Self.filters.lowerBound) to \(Self.filters.upperBound)")
        }
        guard (1...Self.maxChannels).contains(inputChannels), (1...Self.maxChannels).contains(outputChannels) else {
            throw ModelError.config("input/output channels \(inputChannels)/\(outputChannels): expected 1 to \(Self.maxChannels)")
        }
    }

    /// Levels and first-level filters a U-Net here may have.
    public static var levels: ClosedRange<Int> { 5...maxLevels }
    public static var filters: ClosedRange<Int> { 1...maxFilters }

    /// Input side length must be divisible by 2^numDowns (each level halves it).
    public func checkInput(height: Int, width: Int) throws {
        let f = 1 << numDowns
        guard height % f == 0, width % f == 0, height >= f, width >= f else {
            throw SettingViolation(combining: ["num_downs", "generator", "images_size"],
                                   "a \(numDowns)-level U-Net needs images whose sides are multiples of \(f); got \(height)x\(width) (set --images_size or --num_downs)")
        }
    }
}

/// The pix2pix U-Net of the Batvision baseline, on OpenBLAS or oneDNN (`GemmEngine`). Parameter names and shapes
/// are PyTorch's state_dict, so checkpoints move between the two.
public final class UNet {
    public let config: UNetConfig
    let root: UNetLevel
    /// Column scratch shared by every convolution (one layer runs at a time).
    private let col = FloatBuffer(count: 0)
    private let input = FloatBuffer(count: 0)
    private let gradOut = FloatBuffer(count: 0)
    private var lastShape = (batch: 0, height: 0, width: 0)
    /// The library (resolved for this CPU) and threads of every convolution's products.
    public let gemm: Gemm

    public init(_ config: UNetConfig, par: Parallelism = .allCores, gemm engine: GemmEngine = .auto) throws {
        try config.validate()
        // Its parameters alone must fit, whatever the batch.
        let bytes = Double(config.parameterCount) * 4 * 2
        guard bytes < Double(ProcessInfo.processInfo.physicalMemory) else {
            throw ModelError.config(String(format: "a %d-level ngf-%d U-Net has %d parameters (%.1f GB with gradients), more than this machine's %.1f GB",
                                           config.numDowns, config.ngf, config.parameterCount, bytes / 1e9,
                                           Double(ProcessInfo.processInfo.physicalMemory) / 1e9))
        }
        self.config = config
        let gemm = Gemm(engine, par: par)
        self.gemm = gemm
        let ngf = config.ngf
        // Prefixes: level 0 "model.model.", level 1 "model.model.1.model.", then "3.model." deeper.
        func prefix(_ level: Int) -> String {
            level == 0 ? "model.model." : "model.model.1.model." + String(repeating: "3.model.", count: level - 1)
        }
        let n = config.numDowns
        func channels(_ level: Int) -> (outer: Int, inner: Int) {
            switch level {
            case 1: return (ngf, ngf * 2)
            case 2: return (ngf * 2, ngf * 4)
            case 3: return (ngf * 4, ngf * 8)
            default: return (ngf * 8, ngf * 8)
            }
        }
        var level = UNetLevel(kind: .innermost, outer: ngf * 8, inner: ngf * 8, input: ngf * 8, sub: nil,
                              prefix: prefix(n - 1), sigmoidHead: false, gemm: gemm)
        for i in stride(from: n - 2, through: 1, by: -1) {
            let c = channels(i)
            level = UNetLevel(kind: .middle, outer: c.outer, inner: c.inner, input: c.outer, sub: level,
                              prefix: prefix(i), sigmoidHead: false, gemm: gemm)
        }
        root = UNetLevel(kind: .outermost, outer: config.outputChannels, inner: ngf, input: config.inputChannels,
                         sub: level, prefix: prefix(0), sigmoidHead: config.depthNorm, gemm: gemm)
    }

    /// Learnable tensors in PyTorch's `named_parameters()` order.
    public var parameters: [Parameter] { root.parameters }

    var batchNorms: [BatchNorm2d] { root.norms }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Forward on an NCHW batch [N, inputChannels, H, W]; returns the NCHW output
    /// [N, outputChannels, H, W] (valid until the next forward).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch n: Int, height h: Int, width w: Int, training: Bool) throws -> UnsafeBufferPointer<Float> {
        try config.checkInput(height: h, width: w)
        let c = config.inputChannels, hw = h * w
        input.ensure(c * n * hw)
        for s in 0..<n { for ch in 0..<c {
            (input.pointer + (ch * n + s) * hw).update(from: x + (s * c + ch) * hw, count: hw)
        } }
        lastShape = (n, h, w)
        root.forward(UnsafePointer(input.pointer), batch: n, height: h, width: w, training: training, col: col)
        // The output is CNHW; with one channel that is NCHW already.
        if config.outputChannels == 1 { return UnsafeBufferPointer(start: root.out.pointer, count: root.out.count) }
        gradOut.ensure(root.out.count)
        let oc = config.outputChannels
        for s in 0..<n { for ch in 0..<oc {
            (gradOut.pointer + (s * oc + ch) * hw).update(from: root.out.pointer + (ch * n + s) * hw, count: hw)
        } }
        return UnsafeBufferPointer(start: gradOut.pointer, count: gradOut.count)
    }

    public func forward(_ x: [Float], batch n: Int, height h: Int, width w: Int, training: Bool) throws -> [Float] {
        try x.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress, p.count == n * config.inputChannels * h * w else {
                throw ModelError.shape(name: "input", expected: [n, config.inputChannels, h, w], found: [p.count])
            }
            return Array(try forward(base, batch: n, height: h, width: w, training: training))
        }
    }

    public func zeroGradients() { for p in parameters { p.grad.zero() } }

    /// Backward of the last training forward from dLoss/dOutput (NCHW); accumulates
    /// into every parameter's `grad`.
    public func backward(_ gradOutput: UnsafePointer<Float>) {
        let (n, h, w) = lastShape
        let oc = config.outputChannels, hw = h * w
        gradOut.ensure(oc * n * hw)
        for s in 0..<n { for ch in 0..<oc {
            (gradOut.pointer + (ch * n + s) * hw).update(from: gradOutput + (s * oc + ch) * hw, count: hw)
        } }
        root.backward(UnsafePointer(input.pointer), gOut: gradOut.pointer, gX: nil, col: col)
    }

    // MARK: state_dict

    /// The state_dict's entries as they live in the model, for writing without copies
    /// (`Checkpoint.save`); the same names, shapes and values as `stateDict()`.
    public func stateSources() -> [String: TensorSource] {
        var out: [String: TensorSource] = [:]
        for p in parameters { out[p.name] = .float32(p.value, shape: p.shape) }
        for bn in batchNorms {
            out[bn.runningMean.name] = .float32(bn.runningMean.value, shape: bn.runningMean.shape)
            out[bn.runningVar.name] = .float32(bn.runningVar.value, shape: bn.runningVar.shape)
            out[bn.numBatchesTrackedName] = TensorSource(NamedTensor(shape: [], ints: [bn.numBatchesTracked]))
        }
        return out
    }

    /// Every state_dict entry by PyTorch name: parameters, running statistics and
    /// `num_batches_tracked` (int64).
    public func stateDict() -> [String: NamedTensor] {
        var out: [String: NamedTensor] = [:]
        for p in parameters { out[p.name] = NamedTensor(shape: p.shape, floats: p.value.array) }
        for bn in batchNorms {
            out[bn.runningMean.name] = NamedTensor(shape: bn.runningMean.shape, floats: bn.runningMean.value.array)
            out[bn.runningVar.name] = NamedTensor(shape: bn.runningVar.shape, floats: bn.runningVar.value.array)
            out[bn.numBatchesTrackedName] = NamedTensor(shape: [], ints: [bn.numBatchesTracked])
        }
        return out
    }

    /// Loads a state_dict; every entry must be present with its shape (a `module.` prefix
    /// from DataParallel is accepted). Unknown entries are an error naming them.
    public func load(stateDict raw: [String: NamedTensor], source: String) throws {
        let dict = UNet.withoutDataParallelPrefix(raw)
        var used = Set<String>()
        func take(_ name: String, _ shape: [Int]) throws -> NamedTensor {
            guard let t = dict[name] else {
                throw ModelError.tensors(path: source, reason: "missing tensor \(name) \(shape); is this a \(config.numDowns)-level U-Net with ngf \(config.ngf)?")
            }
            guard t.shape == shape else {
                throw ModelError.tensors(path: source, reason: "tensor \(name) has shape \(t.shape), the model expects \(shape) (num_downs \(config.numDowns), ngf \(config.ngf))")
            }
            used.insert(name)
            return t
        }
        func floats(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let v = try take(name, shape).floats else { throw ModelError.tensors(path: source, reason: "tensor \(name) is not floating point") }
            return v
        }
        for p in parameters { p.value.copy(from: try floats(p.name, p.shape)) }
        for bn in batchNorms {
            bn.runningMean.value.copy(from: try floats(bn.runningMean.name, bn.runningMean.shape))
            bn.runningVar.value.copy(from: try floats(bn.runningVar.name, bn.runningVar.shape))
            if let t = dict[bn.numBatchesTrackedName] {
                used.insert(bn.numBatchesTrackedName)
                bn.numBatchesTracked = t.ints?.first ?? Int64(t.floats?.first ?? 0)
            }
        }
        let extra = Set(dict.keys).subtracting(used)
        guard extra.isEmpty else {
            throw ModelError.tensors(path: source, reason: "unexpected tensors \(extra.sorted().prefix(5).joined(separator: ", ")) for a \(config.numDowns)-level U-Net with ngf \(config.ngf)")
        }
    }

    /// A state_dict under plain names: DataParallel and DDP save theirs as `module.<name>`.
    static func withoutDataParallelPrefix(_ tensors: [String: NamedTensor]) -> [String: NamedTensor] {
        var out: [String: NamedTensor] = [:]
        for (k, v) in tensors { out[k.hasPrefix("module.") ? String(k.dropFirst(7)) : k] = v }
        return out
    }

    /// PyTorch's init for the baseline: conv weights N(0, 0.02), BatchNorm weights
    /// N(1, 0.02), biases 0 (our own generator; values differ from torch's, the law does not).
    public func initialize(seed: UInt64) {
        var rng = SeededRandom(seed: seed, stream: 0x1E17)
        for p in parameters {
            if p.name.hasSuffix(".bias") { p.value.zero(); continue }
            let isNorm = p.shape.count == 1
            for i in 0..<p.count { p.value[i] = Float((isNorm ? 1 : 0) + 0.02 * rng.normal()) }
        }
        for bn in batchNorms {
            bn.runningMean.value.zero()
            bn.runningVar.value.pointer.update(repeating: 1, count: bn.channels)
            bn.numBatchesTracked = 0
        }
    }
}

extension UNetConfig {
    /// The shape of the U-Net a state_dict describes (a converted PyTorch checkpoint
    /// carries no metadata): levels = number of 4-D conv weights / 2, ngf and the input
    /// channels from the first conv, output channels from the last ConvT.
    public static func inferred(from tensors: [String: NamedTensor], depthNorm: Bool, source: String) throws -> UNetConfig {
        let names = UNet.withoutDataParallelPrefix(tensors)
        guard let first = names["model.model.0.weight"], first.shape.count == 4,
              let last = names["model.model.3.weight"], last.shape.count == 4 else {
            throw ModelError.tensors(path: source, reason: "not a Batvision U-Net state_dict (no model.model.0.weight / model.model.3.weight)")
        }
        let convs = names.filter { $0.key.hasSuffix(".weight") && $0.value.shape.count == 4 }.count
        guard convs % 2 == 0, convs >= 10 else {
            throw ModelError.tensors(path: source, reason: "\(convs) convolution weights: not a U-Net of at least 5 levels")
        }
        let config = UNetConfig(inputChannels: first.shape[1], outputChannels: last.shape[1], numDowns: convs / 2,
                                ngf: first.shape[0], depthNorm: depthNorm)
        do { try config.validate() } catch {
            throw ModelError.tensors(path: source, reason: "its tensors describe a U-Net no run can have: \(error)")
        }
        return config
    }
}
