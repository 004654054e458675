import Foundation

/// torchvision `Resize((S, S))` on a float tensor: bilinear, align_corners=False,
/// antialias=True (PyTorch's `_upsample_bilinear2d_aa`). When shrinking, the triangle
/// filter widens by the scale factor, as in PIL. Separable: the width pass first, then
/// the height pass, each a normalised weighted sum over a window of input pixels.
public struct AntialiasResize: Sendable {
    /// For one axis: per output index, the first input index and its weights.
    struct Axis: Sendable {
        var starts: [Int]
        var weights: [[Float]]

        init(input: Int, output: Int) {
            // PyTorch computes the weights in the tensor's type (float32).
            let scale = Float(input) / Float(output)
            let support: Float = scale >= 1 ? scale : 1
            let invscale: Float = scale >= 1 ? 1 / scale : 1
            var starts: [Int] = []
            var weights: [[Float]] = []
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
                weights.append(w)
            }
            self.starts = starts
            self.weights = weights
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

    /// Resizes one [H, W] plane into [outH, outW]. `scratch` holds the width pass
    /// ([H, outW]); an axis whose size does not change is copied, as PyTorch skips it.
    public func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                    scratch: inout [Float]) {
        let h = inputHeight, w = inputWidth, oh = outputHeight, ow = outputWidth
        if scratch.count < h * ow { scratch = [Float](repeating: 0, count: h * ow) }
        scratch.withUnsafeMutableBufferPointer { tmp in
            if w == ow {
                for i in 0..<(h * w) { tmp[i] = input[i] }
            } else {
                for y in 0..<h {
                    let row = y * w
                    for x in 0..<ow {
                        let s = cols.starts[x]
                        let wt = cols.weights[x]
                        var acc: Float = 0
                        for j in 0..<wt.count { acc += input[row + s + j] * wt[j] }
                        tmp[y * ow + x] = acc
                    }
                }
            }
            if h == oh {
                for i in 0..<(oh * ow) { output[i] = tmp[i] }
            } else {
                for y in 0..<oh {
                    let s = rows.starts[y]
                    let wt = rows.weights[y]
                    for x in 0..<ow {
                        var acc: Float = 0
                        for j in 0..<wt.count { acc += tmp[(s + j) * ow + x] * wt[j] }
                        output[y * ow + x] = acc
                    }
                }
            }
        }
    }
}
