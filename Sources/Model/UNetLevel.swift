import Support

/// One level of the pix2pix U-Net, forward and backward side by side, its activations
/// owned here and reused every step. Non-outermost: a = LeakyReLU(x) (PyTorch applies
/// it in place, so the skip carries it too), d = Conv(a), [BatchNorm], sub-level,
/// r = ReLU, u = ConvT(r), BatchNorm, output cat(a, BN(u)). Outermost: Conv, sub-level,
/// ReLU, ConvT with bias, Sigmoid or ReLU head. Activations are CNHW.
final class UNetLevel {
    enum Kind { case outermost, middle, innermost }
    let kind: Kind
    let outer: Int, inner: Int, input: Int
    let down: Conv2d
    let downNorm: BatchNorm2d?
    let sub: UNetLevel?
    let up: ConvTranspose2d
    let upNorm: BatchNorm2d?
    let sigmoidHead: Bool
    let par: Parallelism

    // Activations of the last forward (sizes follow the batch).
    /// Outermost: the head's output [outer, N, H, W]. Others: cat(a, BN(u)) [2*outer, N, H, W];
    /// its first half is also where the parent writes this level's input (`inputSlot`), turned
    /// into a = LeakyReLU(input) in place, as PyTorch's in-place LeakyReLU leaves it.
    let out = FloatBuffer(count: 0)
    let d = FloatBuffer(count: 0)      // conv output before BatchNorm; innermost: ReLU'd in place; outermost: unused
    let r = FloatBuffer(count: 0)      // ReLU(sub-level output), training only
    let u = FloatBuffer(count: 0)      // ConvT output before BatchNorm, training only
    // Gradients (backward).
    /// The gradient of r; once that is spent, it holds the parent's gD (`gradientStorage`).
    let gR = FloatBuffer(count: 0)
    /// The gradient of d, only where the sub-level is the innermost (whose gR cannot hold it).
    let gD = FloatBuffer(count: 0)
    private var batch = 0, height = 0, width = 0

    init(kind: Kind, outer: Int, inner: Int, input: Int, sub: UNetLevel?, prefix: String, sigmoidHead: Bool, gemm: Gemm) {
        par = gemm.par
        self.kind = kind
        self.outer = outer
        self.inner = inner
        self.input = input
        self.sub = sub
        self.sigmoidHead = sigmoidHead
        switch kind {
        case .outermost:
            down = Conv2d(name: prefix + "0.weight", inChannels: input, outChannels: inner, gemm: gemm)
            downNorm = nil
            up = ConvTranspose2d(name: prefix + "3.weight", biasName: prefix + "3.bias", inChannels: inner * 2, outChannels: outer, gemm: gemm)
            upNorm = nil
        case .middle:
            down = Conv2d(name: prefix + "1.weight", inChannels: input, outChannels: inner, gemm: gemm)
            downNorm = BatchNorm2d(prefix: prefix + "2.", channels: inner, par: par)
            up = ConvTranspose2d(name: prefix + "5.weight", biasName: nil, inChannels: inner * 2, outChannels: outer, gemm: gemm)
            upNorm = BatchNorm2d(prefix: prefix + "6.", channels: outer, par: par)
        case .innermost:
            down = Conv2d(name: prefix + "1.weight", inChannels: input, outChannels: inner, gemm: gemm)
            downNorm = nil
            up = ConvTranspose2d(name: prefix + "3.weight", biasName: nil, inChannels: inner, outChannels: outer, gemm: gemm)
            upNorm = BatchNorm2d(prefix: prefix + "4.", channels: outer, par: par)
        }
    }

    /// Parameters in PyTorch's `named_parameters()` order.
    var parameters: [Parameter] {
        var list = [down.weight]
        if let downNorm { list += [downNorm.weight, downNorm.bias] }
        if let sub { list += sub.parameters }
        list.append(up.weight)
        if let b = up.bias { list.append(b) }
        if let upNorm { list += [upNorm.weight, upNorm.bias] }
        return list
    }

    var norms: [BatchNorm2d] {
        [downNorm].compactMap { $0 } + (sub?.norms ?? []) + [upNorm].compactMap { $0 }
    }

    /// Channels of this level's output.
    var outputChannels: Int { kind == .outermost ? outer : 2 * outer }

    /// Where the parent writes this level's input [input, N, H, W]: the skip half of `out`.
    func inputSlot(batch n: Int, height h: Int, width w: Int) -> UnsafeMutablePointer<Float> {
        out.ensure(outputChannels * n * h * w)
        return out.pointer
    }

    /// Floats of r (or, innermost, of d) for the last forward: what `gR` holds first.
    private var rCount: Int { sub == nil ? d.count : r.count }

    /// `gR`'s storage, grown to hold `floats` too: the parent keeps the gradient of this
    /// level's input there, written by this level's last step, when gR is spent. The same
    /// peak as PyTorch's autograd, which frees each gradient once it is used.
    func gradientStorage(holding floats: Int) -> UnsafeMutablePointer<Float> {
        gR.ensure(Swift.max(floats, rCount))
        return gR.pointer
    }

    /// `x`: the outermost level's input (the batch); every other level's input is already in
    /// its `inputSlot`, written there by the parent. In eval, buffers only backward reads are
    /// skipped (ReLU and BatchNorm run in place).
    func forward(_ x: UnsafePointer<Float>?, batch n: Int, height h: Int, width w: Int, training: Bool, col: FloatBuffer) {
        precondition((x != nil) == (kind == .outermost), "U-Net wiring: only the outermost level takes its input from outside")
        batch = n; height = h; width = w
        let hw = h * w, half = (h / 2) * (w / 2)
        let aCount = input * n * hw, dCount = inner * n * half
        out.ensure(outputChannels * n * hw)
        let a: UnsafePointer<Float>
        if let x {
            a = x
        } else {
            Activations.leakyReLU(inPlace: out.pointer, count: aCount, par: par)
            a = UnsafePointer(out.pointer)
        }
        // The down convolution's output goes through BatchNorm into the sub-level's input
        // slot, or straight there (outermost), or stays in d (innermost, ReLU'd in place).
        let rIn: UnsafePointer<Float>
        let rChannels: Int
        if let sub {
            let slot = sub.inputSlot(batch: n, height: h / 2, width: w / 2)
            if let downNorm {
                d.ensure(dCount)
                down.forward(a, batch: n, height: h, width: w, out: d.pointer, col: col)
                downNorm.forward(d.pointer, slot, perChannel: n * half, training: training)
            } else {
                down.forward(a, batch: n, height: h, width: w, out: slot, col: col)
            }
            sub.forward(nil, batch: n, height: h / 2, width: w / 2, training: training, col: col)
            if training {
                r.ensure(sub.out.count)
                Activations.relu(sub.out.pointer, into: r.pointer, count: r.count, par: par)
                rIn = UnsafePointer(r.pointer)
            } else {
                // Backward reads the sub-level's skip half; eval has no backward.
                Activations.relu(inPlace: sub.out.pointer, count: sub.out.count, par: par)
                rIn = UnsafePointer(sub.out.pointer)
            }
            rChannels = sub.outputChannels
        } else {
            d.ensure(dCount)
            down.forward(a, batch: n, height: h, width: w, out: d.pointer, col: col)
            Activations.relu(inPlace: d.pointer, count: d.count, par: par)
            rIn = UnsafePointer(d.pointer)
            rChannels = inner
        }
        precondition(rChannels == up.inChannels, "U-Net wiring: \(rChannels) channels into a ConvT of \(up.inChannels)")
        if kind == .outermost {
            up.forward(rIn, batch: n, height: h / 2, width: w / 2, out: out.pointer, col: col)
            if sigmoidHead { Activations.sigmoid(out.pointer, count: out.count) } else { Activations.relu(inPlace: out.pointer, count: out.count, par: par) }
        } else if training {
            u.ensure(outer * n * hw)
            up.forward(rIn, batch: n, height: h / 2, width: w / 2, out: u.pointer, col: col)
            upNorm?.forward(u.pointer, out.pointer + aCount, perChannel: n * hw, training: true)
        } else {
            // Eval BatchNorm (running statistics) may run in place: the same operations.
            up.forward(rIn, batch: n, height: h / 2, width: w / 2, out: out.pointer + aCount, col: col)
            upNorm?.forward(out.pointer + aCount, out.pointer + aCount, perChannel: n * hw, training: false)
        }
    }

    /// Backward of the last training forward. `x`: the outermost level's input, nil for the
    /// others (theirs is `out`'s skip half). `gOut` (the gradient of `out`) is consumed (used
    /// as scratch); `gX`, the gradient of the level's input, is written when given.
    func backward(_ x: UnsafePointer<Float>?, gOut: UnsafeMutablePointer<Float>, gX: UnsafeMutablePointer<Float>?, col: FloatBuffer) {
        precondition((x != nil) == (kind == .outermost), "U-Net wiring: only the outermost level takes its input from outside")
        let n = batch, h = height, w = width
        let hw = h * w, half = (h / 2) * (w / 2)
        let aCount = input * n * hw, dCount = inner * n * half
        // Gradient of the up path's output (before the head / BatchNorm).
        let gU: UnsafeMutablePointer<Float>
        if kind == .outermost {
            if sigmoidHead { Activations.sigmoidBackward(output: out.pointer, gOut, count: out.count) } else { Activations.reluBackward(output: out.pointer, gOut, count: out.count, par: par) }
            gU = gOut
        } else {
            gU = gOut + aCount
            upNorm?.backward(u.pointer, dY: gU, dX: gU, perChannel: n * hw)
        }
        let rIn: UnsafePointer<Float> = sub == nil ? UnsafePointer(d.pointer) : UnsafePointer(r.pointer)
        gR.ensure(rCount)
        up.backward(rIn, dOut: gU, dX: gR.pointer, batch: n, height: h / 2, width: w / 2, col: col)
        Activations.reluBackward(output: rIn, gR.pointer, count: rCount, par: par)
        // Gradient of the conv output d.
        let gDconv: UnsafeMutablePointer<Float>
        if let sub {
            // The innermost reads its gR while it writes its gX, so it cannot hold gD.
            let gDStorage: UnsafeMutablePointer<Float>
            if sub.sub != nil {
                gDStorage = sub.gradientStorage(holding: dCount)
            } else {
                gD.ensure(dCount)
                gDStorage = gD.pointer
            }
            sub.backward(nil, gOut: gR.pointer, gX: gDStorage, col: col)
            if let downNorm { downNorm.backward(d.pointer, dY: gDStorage, dX: gDStorage, perChannel: n * half) }
            gDconv = gDStorage
        } else {
            gDconv = gR.pointer
        }
        let a: UnsafePointer<Float> = x ?? UnsafePointer(out.pointer)
        down.backward(a, dOut: gDconv, dX: gX, batch: n, height: h, width: w, col: col)
        guard let gX, kind != .outermost else { return }
        Activations.leakyReLUBackward(output: a, adding: gOut, to: gX, count: aCount, par: par)  // with the skip
    }
}
