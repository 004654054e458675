import Foundation

/// What a U-Net needs in memory, worked out from its shape before anything is allocated,
/// so that a model or batch that cannot fit is refused with the size it would need
/// instead of failing inside an allocation.
extension UNetConfig {
    /// The most levels any image can use (2^12 = 4096, the largest images_size).
    public static let maxLevels = 12
    /// The largest first-level width accepted (unet_256 with ngf 1024 is ~14 billion parameters).
    public static let maxFilters = 1024
    /// Input and output channels accepted (the baseline has 2 and 1).
    public static let maxChannels = 64

    /// Channels of level i (0 = outermost): (outer, inner, input), as `UNet` builds them.
    func channels(level i: Int) -> (outer: Int, inner: Int, input: Int) {
        func plan(_ level: Int) -> (outer: Int, inner: Int) {
            switch level {
            case 1: return (ngf, ngf * 2)
            case 2: return (ngf * 2, ngf * 4)
            case 3: return (ngf * 4, ngf * 8)
            default: return (ngf * 8, ngf * 8)
            }
        }
        if i == 0 { return (outputChannels, ngf, inputChannels) }
        let p: (outer: Int, inner: Int) = i == numDowns - 1 ? (ngf * 8, ngf * 8) : plan(i)
        return (p.outer, p.inner, p.outer)
    }

    /// Learnable values: conv and convT weights, the outermost convT's bias, BatchNorm's
    /// weight and bias (each BatchNorm also keeps two running statistics).
    public var parameterCount: Int {
        var total = 0
        for i in 0..<numDowns {
            let c = channels(level: i)
            let upIn = i == numDowns - 1 ? c.inner : 2 * c.inner
            total += c.input * c.inner * 16 + upIn * c.outer * 16
            switch i {
            case 0: total += c.outer                          // convT bias
            case numDowns - 1: total += 2 * c.outer           // up BatchNorm
            default: total += 2 * c.inner + 2 * c.outer       // down and up BatchNorm
            }
        }
        return total
    }

    /// Bytes of activations and their gradients for one training step on `batch` images
    /// of `size` x `size` (the buffers `UNetLevel` keeps), plus the column scratch.
    public func activationBytes(batch n: Int, size: Int) -> Double {
        var floats = 0.0
        var hw = Double(size) * Double(size)
        var column = Double(1 << 23)  // the shared column scratch: a chunk of 2^23 floats, or one whole sample's columns
        var parentD = 0.0             // the parent's conv output (gD), kept in this level's gR
        let last = numDowns - 1
        for i in 0..<numDowns {
            let c = channels(level: i)
            let half = hw / 4
            column = max(column, Double(c.input * 16) * half, Double(c.outer * 16) * half)
            let outChannels = i == 0 ? Double(c.outer) : Double(2 * c.outer)
            let rChannels = i == last ? Double(c.inner) : Double(2 * c.inner)
            let dFloats = Double(c.inner) * half
            // out (its first half is the input slot); u (outer x hw) and d below the outermost;
            // r below the innermost; gR, which also holds the parent's gD where this level has a
            // sub-level; gD itself only just above the innermost.
            let rFloats = rChannels * half
            var level = outChannels * hw
            if i > 0 { level += Double(c.outer) * hw + dFloats }
            if i < last { level += rFloats }
            level += i > 0 && i < last ? max(rFloats, parentD) : rFloats
            if i == last - 1 { level += dFloats }
            floats += Double(n) * level
            parentD = dFloats
            hw = half
        }
        floats += Double(n) * Double(inputChannels + 2 * outputChannels) * Double(size) * Double(size)  // input copy, output gradient
        floats += column
        return floats * 4
    }

    /// Bytes a training step needs: parameters, gradients and two optimiser moments, and the activations.
    public func trainingBytes(batch: Int, size: Int) -> Double {
        Double(parameterCount) * 4 * 4 + activationBytes(batch: batch, size: size)
    }

    /// Bytes an inference pass needs (parameters and their gradient buffers exist too).
    public func inferenceBytes(batch: Int, size: Int) -> Double {
        Double(parameterCount) * 4 * 2 + activationBytes(batch: batch, size: size)
    }

    /// The largest batch whose training step fits in `bytes` (0 when not even one does).
    public func largestBatch(size: Int, within bytes: Double) -> Int {
        var lo = 0, hi = 1 << 16
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if trainingBytes(batch: mid, size: size) <= bytes { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Refuses a step that cannot fit in `available` bytes (default: the machine's memory),
    /// naming what it would need and the largest batch that fits.
    public func checkFits(batch: Int, size: Int, training: Bool, available: Double = Double(ProcessInfo.processInfo.physicalMemory)) throws {
        let need = training ? trainingBytes(batch: batch, size: size) : inferenceBytes(batch: batch, size: size)
        guard need > available else { return }
        let fits = largestBatch(size: size, within: available)
        let hint = fits >= 1 ? "lower --batch_size to at most \(fits)" : "even one image does not fit: lower --ngf, --num_downs or --images_size"
        throw ModelError.config(String(format: "a %@ step of %d-level ngf-%d U-Net on batch %d at %dx%d needs about %.1f GB, this machine has %.1f GB: %@",
                                       training ? "training" : "inference", numDowns, ngf, batch, size, size,
                                       need / 1e9, available / 1e9, hint))
    }
}
