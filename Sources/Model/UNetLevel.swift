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
    /// Outermost: the head's output [outer, N, H, W]. Others: cat(a, BN(u)) [2*outer, N, H, W].
    let out = FloatBuffer(count: 0)
    let d = FloatBuffer(count: 0)      // conv output before BatchNorm; innermost: ReLU'd in place
    let dn = FloatBuffer(count: 0)     // BN(d), the sub-level's input
    let r = FloatBuffer(count: 0)      // ReLU(sub-level output)
    let u = FloatBuffer(count: 0)      // ConvT output before BatchNorm
    // Gradients (backward).
    let gR = FloatBuffer(count: 0)
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

    func forward(_ x: UnsafePointer<Float>, batch n: Int, height h: Int, width w: Int, training: Bool, col: FloatBuffer) {
        batch = n; height = h; width = w
        let hw = h * w, half = (h / 2) * (w / 2)
        let aCount = input * n * hw
        out.ensure(outputChannels * n * hw)
        d.ensure(inner * n * half)
        // a = LeakyReLU(x) lives in the first half of `out` (the skip half of the concat).
        let a: UnsafePointer<Float>
        if kind == .outermost {
            a = x
        } else {
            Activations.leakyReLU(x, into: out.pointer, count: aCount, par: par)
            a = UnsafePointer(out.pointer)
        }
        down.forward(a, batch: n, height: h, width: w, out: d.pointer, col: col)
        let subInput: UnsafePointer<Float>
        if let downNorm {
            dn.ensure(d.count)
            downNorm.forward(d.pointer, dn.pointer, perChannel: n * half, training: training)
            subInput = UnsafePointer(dn.pointer)
        } else {
            subInput = UnsafePointer(d.pointer)
        }
        let rIn: UnsafePointer<Float>
        let rChannels: Int
        if let sub {
            sub.forward(subInput, batch: n, height: h / 2, width: w / 2, training: training, col: col)
            r.ensure(sub.out.count)
            Activations.relu(sub.out.pointer, into: r.pointer, count: r.count, par: par)
            rIn = UnsafePointer(r.pointer)
            rChannels = sub.outputChannels
        } else {
            Activations.relu(d.pointer, count: d.count)  // innermost: ReLU in place on the conv output
            rIn = UnsafePointer(d.pointer)
            rChannels = inner
        }
        precondition(rChannels == up.inChannels, "U-Net wiring: \(rChannels) channels into a ConvT of \(up.inChannels)")
        if kind == .outermost {
            up.forward(rIn, batch: n, height: h / 2, width: w / 2, out: out.pointer, col: col)
            if sigmoidHead { Activations.sigmoid(out.pointer, count: out.count) } else { Activations.relu(out.pointer, count: out.count) }
        } else {
            u.ensure(outer * n * hw)
            up.forward(rIn, batch: n, height: h / 2, width: w / 2, out: u.pointer, col: col)
            upNorm?.forward(u.pointer, out.pointer + aCount, perChannel: n * hw, training: training)
        }
    }

    /// Backward of the last training forward. `gOut` (the gradient of `out`) is consumed
    /// (used as scratch); `gX`, the gradient of the level's input, is written when given.
    func backward(_ x: UnsafePointer<Float>, gOut: UnsafeMutablePointer<Float>, gX: UnsafeMutablePointer<Float>?, col: FloatBuffer) {
        let n = batch, h = height, w = width
        let hw = h * w, half = (h / 2) * (w / 2)
        let aCount = input * n * hw
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
        let rCount = sub == nil ? d.count : r.count
        gR.ensure(rCount)
        up.backward(rIn, dOut: gU, dX: gR.pointer, batch: n, height: h / 2, width: w / 2, col: col)
        Activations.reluBackward(output: rIn, gR.pointer, count: rCount, par: par)
        // Gradient of the conv output d.
        let gDconv: UnsafeMutablePointer<Float>
        if let sub {
            gD.ensure(d.count)
            sub.backward(downNorm == nil ? UnsafePointer(d.pointer) : UnsafePointer(dn.pointer), gOut: gR.pointer, gX: gD.pointer, col: col)
            if let downNorm { downNorm.backward(d.pointer, dY: gD.pointer, dX: gD.pointer, perChannel: n * half) }
            gDconv = gD.pointer
        } else {
            gDconv = gR.pointer
        }
        let a: UnsafePointer<Float> = kind == .outermost ? x : UnsafePointer(out.pointer)
        down.backward(a, dOut: gDconv, dX: gX, batch: n, height: h, width: w, col: col)
        guard let gX, kind != .outermost else { return }
        Activations.leakyReLUBackward(output: a, adding: gOut, to: gX, count: aCount, par: par)  // with the skip
    }
}
