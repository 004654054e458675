import Foundation
import Support

/// Elementwise activations, forward and backward side by side, split across the cores.
/// Backward passes read the activation's output (PyTorch's in-place activations keep only
/// that), whose sign is the input's.
enum Activations {
    /// y = LeakyReLU(x), out of place.
    static func leakyReLU(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, slope: Float = 0.2, par: Parallelism) {
        par.ranges(count, grain: 1 << 15) { r in for i in r { let v = x[i]; y[i] = v < 0 ? v * slope : v } }
    }

    /// x = LeakyReLU(x), in place (PyTorch's `LeakyReLU(0.2, True)`).
    static func leakyReLU(inPlace x: UnsafeMutablePointer<Float>, count: Int, slope: Float = 0.2, par: Parallelism) {
        par.ranges(count, grain: 1 << 15) { r in for i in r { let v = x[i]; x[i] = v < 0 ? v * slope : v } }
    }

    /// dX = (dX + skip) * (y > 0 ? 1 : slope): the gradient through the skip and the
    /// down path meet before the LeakyReLU they share.
    static func leakyReLUBackward(output y: UnsafePointer<Float>, adding skip: UnsafePointer<Float>, to d: UnsafeMutablePointer<Float>, count: Int, slope: Float = 0.2, par: Parallelism) {
        par.ranges(count, grain: 1 << 15) { r in for i in r { let g = d[i] + skip[i]; d[i] = y[i] > 0 ? g : g * slope } }
    }

    /// y = ReLU(x), out of place.
    static func relu(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, par: Parallelism) {
        par.ranges(count, grain: 1 << 15) { r in for i in r { let v = x[i]; y[i] = v > 0 ? v : 0 } }
    }

    /// x = ReLU(x), in place: the same values as `relu(_:into:)` (NaN and -0 become 0).
    static func relu(inPlace x: UnsafeMutablePointer<Float>, count: Int, par: Parallelism) {
        par.ranges(count, grain: 1 << 15) { r in for i in r { let v = x[i]; x[i] = v > 0 ? v : 0 } }
    }

    static func reluBackward(output y: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, count: Int, par: Parallelism) {
        par.ranges(count, grain: 1 << 15) { r in for i in r { d[i] = y[i] > 0 ? d[i] : 0 } }
    }

    static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = 1 / (1 + Foundation.exp(-x[i])) }
    }

    /// dX = dY * y * (1 - y).
    static func sigmoidBackward(output y: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { d[i] *= y[i] * (1 - y[i]) }
    }
}
