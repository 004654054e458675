import Foundation

/// torchvision `Resize((S, S))` on a float tensor: bilinear, align_corners=False,
/// antialias=True (PyTorch's `_upsample_bilinear2d_aa`). When shrinking, the triangle
/// filter widens by the scale factor, as in PIL. Separable: the width pass first, then
/// the height pass, each a normalised weighted sum over a window of input pixels, summed
/// in PyTorch's order and precision (float32).
public struct AntialiasResize: Sendable {
    /// For one axis: per output index, the first input index, the tap count and the
    /// weights (flattened, `stride` per output).
    struct Axis: Sendable {
        var starts: [Int] = []
        var counts: [Int] = []
        var weights: [Float] = []
        var stride = 0

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
    /// width does not change, as PyTorch skips that pass. The row must be followed by
    /// `cols.stride` zeros: every output then runs the same number of taps (the padded
    /// weights are 0), so eight outputs are summed side by side, each still tap by tap
    /// from 0 in PyTorch's order.
    @inline(__always)
    func horizontal(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if inputWidth == outputWidth {
            out.update(from: row, count: inputWidth)
            return
        }
        cols.starts.withUnsafeBufferPointer { starts in
            cols.weights.withUnsafeBufferPointer { weights in
                let taps = cols.stride
                guard let w = weights.baseAddress, let st = starts.baseAddress else {
                    out.update(repeating: 0, count: outputWidth)  // an empty input row
                    return
                }
                var x = 0
                while x + 8 <= outputWidth {
                    var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
                    var a4: Float = 0, a5: Float = 0, a6: Float = 0, a7: Float = 0
                    let s0 = row + st[x], s1 = row + st[x + 1], s2 = row + st[x + 2], s3 = row + st[x + 3]
                    let s4 = row + st[x + 4], s5 = row + st[x + 5], s6 = row + st[x + 6], s7 = row + st[x + 7]
                    let w0 = w + x * taps
                    for j in 0..<taps {
                        a0 += s0[j] * w0[j]
                        a1 += s1[j] * w0[taps + j]
                        a2 += s2[j] * w0[2 * taps + j]
                        a3 += s3[j] * w0[3 * taps + j]
                        a4 += s4[j] * w0[4 * taps + j]
                        a5 += s5[j] * w0[5 * taps + j]
                        a6 += s6[j] * w0[6 * taps + j]
                        a7 += s7[j] * w0[7 * taps + j]
                    }
                    out[x] = a0; out[x + 1] = a1; out[x + 2] = a2; out[x + 3] = a3
                    out[x + 4] = a4; out[x + 5] = a5; out[x + 6] = a6; out[x + 7] = a7
                    x += 8
                }
                while x < outputWidth {
                    let src = row + st[x], wx = w + x * taps
                    var acc: Float = 0
                    for j in 0..<taps { acc += src[j] * wx[j] }
                    out[x] = acc
                    x += 1
                }
            }
        }
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
        let need = inputHeight * outputWidth + inputWidth + cols.stride
        if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
        scratch.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress, let out = output.baseAddress else { return }
            let row = base + inputHeight * outputWidth
            // The zeros after the row that padded taps read (see `horizontal`).
            (row + inputWidth).update(repeating: 0, count: cols.stride)
            for y in 0..<inputHeight {
                fill(y, row)
                horizontal(row, into: base + y * outputWidth)
            }
            vertical(base, into: out)
        }
    }
}
