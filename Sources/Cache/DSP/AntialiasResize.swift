import Foundation

/// torchvision `Resize((S, S))` on a float tensor: bilinear, align_corners=False,
/// antialias=True (PyTorch's `_upsample_bilinear2d_aa`). When shrinking, the triangle
/// filter widens by the scale factor, as in PIL. Separable: the width pass first, then
/// the height pass, each a normalised weighted sum over a window of input pixels, summed
/// in PyTorch's order and precision (float32).
///
/// The 8-wide blocks of the width pass multiply out-of-window inputs by a weight of 0,
/// exact for finite values; a row holding a NaN or infinity goes through the per-output
/// pass instead (`horizontalExact`), so it reaches only the outputs whose window holds it,
/// as in torchvision (a V1 recording may hold them).
public struct AntialiasResize: Sendable {
    /// For one axis: per output index, the first input index, the tap count and the
    /// weights (flattened, `stride` per output).
    struct Axis: Sendable {
        var starts: [Int] = []
        var counts: [Int] = []
        var weights: [Float] = []
        var stride = 0
        /// Outputs in blocks of eight: each block's first input, its span of inputs, and
        /// dense weights [block][span][8] (zero outside an output's own window).
        var blockStarts: [Int] = []
        var blockSpans: [Int] = []
        var blockWeights: [SIMD8<Float>] = []
        var blockStride = 0

        init(input: Int, output: Int) {
            // PyTorch computes the weights in the tensor's type (float32).
            let scale = Float(input) / Float(output)
            let support: Float = scale >= 1 ? scale : 1
            let invscale: Float = scale >= 1 ? 1 / scale : 1
            var rows: [[Float]] = []
            for i in 0..<output {
                let center = scale * (Float(i) + 0.5)
                let xmin = max(Int(center - support + 0.5), 0)
                let xmax = min(Int(center + support + 0.5), input)
                var w: [Float] = []
                var total: Float = 0
                for j in 0..<max(0, xmax - xmin) {
                    let x = abs((Float(j + xmin) - center + 0.5) * invscale)
                    let v: Float = x < 1 ? 1 - x : 0
                    w.append(v)
                    total += v
                }
                if total != 0 { w = w.map { $0 / total } }
                starts.append(xmin)
                counts.append(w.count)
                rows.append(w)
            }
            stride = rows.map(\.count).max() ?? 0
            weights = [Float](repeating: 0, count: output * stride)
            for (i, w) in rows.enumerated() { for (j, v) in w.enumerated() { weights[i * stride + j] = v } }
            for b in Swift.stride(from: 0, to: output, by: 8) {
                let lanes = b..<min(b + 8, output)
                let first = lanes.map { starts[$0] }.min() ?? 0
                let end = lanes.map { starts[$0] + counts[$0] }.max() ?? first
                blockStarts.append(first)
                blockSpans.append(end - first)
            }
            blockStride = blockSpans.max() ?? 0
            blockWeights = [SIMD8<Float>](repeating: .zero, count: blockStarts.count * blockStride)
            for (k, first) in blockStarts.enumerated() {
                for lane in 0..<8 where 8 * k + lane < output {
                    let i = 8 * k + lane
                    for j in 0..<counts[i] { blockWeights[k * blockStride + starts[i] + j - first][lane] = rows[i][j] }
                }
            }
        }
    }

    public let inputHeight, inputWidth, outputHeight, outputWidth: Int
    let rows: Axis
    let cols: Axis

    public init(inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int) {
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        rows = Axis(input: inputHeight, output: outputHeight)
        cols = Axis(input: inputWidth, output: outputWidth)
    }

    /// The width pass of one input row into `out` (outputWidth values); copies when the
    /// width does not change, as PyTorch skips that pass. Eight outputs at a time: one
    /// input pixel, broadcast, times the block's eight weights for it. Each output still
    /// sums its own taps one by one from 0 in PyTorch's order; the block's extra terms
    /// are exact zeros (0 * pixel) added before or after them, which change no sum.
    @inline(__always)
    func horizontal(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if inputWidth == outputWidth {
            out.update(from: row, count: inputWidth)
            return
        }
        cols.blockStarts.withUnsafeBufferPointer { starts in
            cols.blockSpans.withUnsafeBufferPointer { spans in
                cols.blockWeights.withUnsafeBufferPointer { weights in
                    guard let w = weights.baseAddress else {
                        out.update(repeating: 0, count: outputWidth)  // an empty input row
                        return
                    }
                    let stride = cols.blockStride
                    for b in 0..<starts.count {
                        let src = row + starts[b], wb = w + b * stride
                        var acc = SIMD8<Float>.zero
                        for k in 0..<spans[b] { acc += SIMD8<Float>(repeating: src[k]) * wb[k] }
                        let x = 8 * b
                        if x + 8 <= outputWidth {
                            (UnsafeMutableRawPointer(out + x)).storeBytes(of: acc, as: SIMD8<Float>.self)
                        } else {
                            for lane in 0..<(outputWidth - x) { out[x + lane] = acc[lane] }
                        }
                    }
                }
            }
        }
    }

    /// The width pass of four rows at once: the same per-output sums as `horizontal`, but
    /// four independent accumulator chains share each weight load, so the adds' latency
    /// is hidden (one chain waits on its previous add every step).
    @inline(__always)
    func horizontal4(_ row: UnsafePointer<Float>, rowStride: Int, into out: UnsafeMutablePointer<Float>) {
        let ow = outputWidth
        if inputWidth == ow {
            for r in 0..<4 { (out + r * ow).update(from: row + r * rowStride, count: ow) }
            return
        }
        cols.blockStarts.withUnsafeBufferPointer { starts in
            cols.blockSpans.withUnsafeBufferPointer { spans in
                cols.blockWeights.withUnsafeBufferPointer { weights in
                    guard let w = weights.baseAddress else {
                        out.update(repeating: 0, count: 4 * ow)
                        return
                    }
                    let stride = cols.blockStride
                    for b in 0..<starts.count {
                        let s0 = row + starts[b], s1 = s0 + rowStride, s2 = s1 + rowStride, s3 = s2 + rowStride
                        let wb = w + b * stride
                        var a0 = SIMD8<Float>.zero, a1 = SIMD8<Float>.zero, a2 = SIMD8<Float>.zero, a3 = SIMD8<Float>.zero
                        for k in 0..<spans[b] {
                            let wk = wb[k]
                            a0 += SIMD8<Float>(repeating: s0[k]) * wk
                            a1 += SIMD8<Float>(repeating: s1[k]) * wk
                            a2 += SIMD8<Float>(repeating: s2[k]) * wk
                            a3 += SIMD8<Float>(repeating: s3[k]) * wk
                        }
                        let x = 8 * b
                        if x + 8 <= ow {
                            UnsafeMutableRawPointer(out + x).storeBytes(of: a0, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(out + ow + x).storeBytes(of: a1, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(out + 2 * ow + x).storeBytes(of: a2, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(out + 3 * ow + x).storeBytes(of: a3, as: SIMD8<Float>.self)
                        } else {
                            for lane in 0..<(ow - x) {
                                out[x + lane] = a0[lane]; out[ow + x + lane] = a1[lane]
                                out[2 * ow + x + lane] = a2[lane]; out[3 * ow + x + lane] = a3[lane]
                            }
                        }
                    }
                }
            }
        }
    }

    /// The width pass of eight rows at once, for shrinking: the rows are transposed into
    /// `columns` ([inputWidth][8]: lane r is row r's pixel), then each output sums its own
    /// window's taps in order from 0, eight rows in the eight lanes. Exactly PyTorch's sum
    /// per output and row, with no padded taps (so a NaN or infinity reaches only the outputs
    /// whose window holds it), and each tap costs one vector multiply-add for eight outputs
    /// instead of a block of eight mostly zero weights per input pixel. Eight outputs run
    /// side by side (their add chains are independent, so the adds' latency is hidden), and
    /// both transposes go through registers, eight by eight.
    @inline(__always)
    func horizontal8(_ row: UnsafePointer<Float>, rowStride: Int, columns: UnsafeMutablePointer<Float>,
                     into out: UnsafeMutablePointer<Float>) {
        let ow = outputWidth, iw = inputWidth
        let raw = UnsafeRawPointer(row), cols8 = UnsafeMutableRawPointer(columns)
        var x = 0
        while x + 8 <= iw {
            var m = Block8(raw + 4 * x, stride: 4 * rowStride)
            m.transpose()
            m.store(cols8 + 32 * x, stride: 32)
            x += 8
        }
        while x < iw {
            let p = row + x
            let lanes = SIMD8<Float>(p[0], p[rowStride], p[2 * rowStride], p[3 * rowStride],
                                     p[4 * rowStride], p[5 * rowStride], p[6 * rowStride], p[7 * rowStride])
            (cols8 + 32 * x).storeBytes(of: lanes, as: SIMD8<Float>.self)
            x += 1
        }
        let t = UnsafeRawPointer(columns)
        cols.starts.withUnsafeBufferPointer { starts in
            cols.counts.withUnsafeBufferPointer { counts in
                cols.weights.withUnsafeBufferPointer { weights in
                    guard let w = weights.baseAddress, let s = starts.baseAddress, let c = counts.baseAddress else { return }
                    let stride = cols.stride
                    // One output: taps j ..< counts[i] of its window, in order, onto acc.
                    @inline(__always) func taps(_ i: Int, from j0: Int, _ acc: inout SIMD8<Float>) {
                        let wi = w + i * stride, src = t + 32 * s[i]
                        var j = j0
                        while j < c[i] {
                            acc += src.loadUnaligned(fromByteOffset: 32 * j, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wi[j])
                            j += 1
                        }
                    }
                    var i = 0
                    while i + 8 <= ow {
                        // Taps below the group's smallest count for all eight at once, then
                        // each output's remaining taps: every sum keeps its own order.
                        var shared = c[i]
                        for k in 1..<8 { shared = Swift.min(shared, c[i + k]) }
                        var m = Block8()
                        let w0 = w + i * stride
                        let s0 = t + 32 * s[i], s1 = t + 32 * s[i + 1], s2 = t + 32 * s[i + 2], s3 = t + 32 * s[i + 3]
                        let s4 = t + 32 * s[i + 4], s5 = t + 32 * s[i + 5], s6 = t + 32 * s[i + 6], s7 = t + 32 * s[i + 7]
                        for j in 0..<shared {
                            let o = 32 * j, wj = w0 + j
                            m.v0 += s0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[0])
                            m.v1 += s1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[stride])
                            m.v2 += s2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[2 * stride])
                            m.v3 += s3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[3 * stride])
                            m.v4 += s4.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[4 * stride])
                            m.v5 += s5.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[5 * stride])
                            m.v6 += s6.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[6 * stride])
                            m.v7 += s7.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * SIMD8<Float>(repeating: wj[7 * stride])
                        }
                        taps(i, from: shared, &m.v0); taps(i + 1, from: shared, &m.v1)
                        taps(i + 2, from: shared, &m.v2); taps(i + 3, from: shared, &m.v3)
                        taps(i + 4, from: shared, &m.v4); taps(i + 5, from: shared, &m.v5)
                        taps(i + 6, from: shared, &m.v6); taps(i + 7, from: shared, &m.v7)
                        // Lane r of output k -> row r, column i + k.
                        m.transpose()
                        m.store(UnsafeMutableRawPointer(out + i), stride: 4 * ow)
                        i += 8
                    }
                    while i < ow {
                        var acc = SIMD8<Float>.zero
                        taps(i, from: 0, &acc)
                        for r in 0..<8 { out[r * ow + i] = acc[r] }
                        i += 1
                    }
                }
            }
        }
    }

    /// The width pass of one row, output by output over its own window only (PyTorch's
    /// order): for rows holding NaN or infinity, where a block's 0 * NaN would spread them.
    func horizontalExact(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if inputWidth == outputWidth {
            out.update(from: row, count: inputWidth)
            return
        }
        for i in 0..<outputWidth {
            var acc: Float = 0
            for j in 0..<cols.counts[i] { acc += row[cols.starts[i] + j] * cols.weights[i * cols.stride + j] }
            out[i] = acc
        }
    }

    @inline(__always)
    func isFinite(_ row: UnsafePointer<Float>) -> Bool {
        for x in 0..<inputWidth where !row[x].isFinite { return false }
        return true
    }

    /// The height pass: `tmp` is [inputHeight, outputWidth], `out` [outputHeight, outputWidth].
    func vertical(_ tmp: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let ow = outputWidth
        if inputHeight == outputHeight {
            out.update(from: tmp, count: inputHeight * ow)
            return
        }
        rows.starts.withUnsafeBufferPointer { starts in
            rows.counts.withUnsafeBufferPointer { counts in
                rows.weights.withUnsafeBufferPointer { weights in
                    for y in 0..<outputHeight {
                        let dst = out + y * ow
                        dst.update(repeating: 0, count: ow)
                        // Same sum per pixel as PyTorch (tap by tap from 0), vectorised over x.
                        for j in 0..<counts[y] {
                            let w = weights[y * rows.stride + j]
                            let src = tmp + (starts[y] + j) * ow
                            for x in 0..<ow { dst[x] += src[x] * w }
                        }
                    }
                }
            }
        }
    }

    /// Resizes one [H, W] plane into [outH, outW]. `scratch` holds the width pass.
    public func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                    scratch: inout [Float]) {
        guard let inBase = input.baseAddress else { return }
        run(rows: { y, buffer in buffer.update(from: inBase + y * inputWidth, count: inputWidth) },
            into: output, scratch: &scratch)
    }

    /// Resizes a plane whose rows are produced one at a time by `fill(y, row)` (e.g.
    /// converted from stored millimetres on the fly, without a full float copy).
    public func run(rows fill: (Int, UnsafeMutablePointer<Float>) -> Void,
                    into output: UnsafeMutableBufferPointer<Float>, scratch: inout [Float]) {
        let rowStride = inputWidth + cols.stride
        let need = inputHeight * outputWidth + 8 * rowStride + 8 * inputWidth
        if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
        scratch.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress, let out = output.baseAddress else { return }
            let rows = base + inputHeight * outputWidth
            let columns = rows + 8 * rowStride
            // The zeros after each row that padded taps read (see `horizontal`).
            for r in 0..<8 { (rows + r * rowStride + inputWidth).update(repeating: 0, count: cols.stride) }
            var y = 0
            // Shrinking width: eight rows at a time, transposed (see `horizontal8`).
            while y + 8 <= inputHeight && inputWidth > outputWidth {
                for r in 0..<8 { fill(y + r, rows + r * rowStride) }
                horizontal8(rows, rowStride: rowStride, columns: columns, into: base + y * outputWidth)
                y += 8
            }
            while y + 4 <= inputHeight {
                for r in 0..<4 { fill(y + r, rows + r * rowStride) }
                if (0..<4).allSatisfy({ isFinite(rows + $0 * rowStride) }) {
                    horizontal4(rows, rowStride: rowStride, into: base + y * outputWidth)
                } else {
                    for r in 0..<4 {
                        let row = rows + r * rowStride, dst = base + (y + r) * outputWidth
                        if isFinite(row) { horizontal(row, into: dst) } else { horizontalExact(row, into: dst) }
                    }
                }
                y += 4
            }
            while y < inputHeight {
                fill(y, rows)
                if isFinite(rows) { horizontal(rows, into: base + y * outputWidth) } else { horizontalExact(rows, into: base + y * outputWidth) }
                y += 1
            }
            vertical(base, into: out)
        }
    }
}
