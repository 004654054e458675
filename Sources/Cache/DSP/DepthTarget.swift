import Foundation
import Ingest

/// The depth target of the reference loaders (SPEC section 2), in this order:
/// V1 NaN -> 0 and +/-inf -> +/-largest float32 (numpy nan_to_num); divide by 1000
/// (mm -> m); above max_depth -> max_depth; below 0 -> 0; resize (zeros included);
/// divide by max_depth when depth_norm. All in float32, as numpy and torch do.
public struct DepthTarget: Sendable {
    public let config: FeatureConfig

    public init(config: FeatureConfig) { self.config = config }

    /// The metres limit: max_depth, or none.
    private var clip: Float { config.maxDepth.map { Float($0) } ?? .infinity }

    /// One stored value (millimetres) as the target's clipped metres: V1's nan_to_num,
    /// mm -> m, above max_depth -> max_depth, below 0 -> 0.
    @inline(__always)
    private func metres(_ stored: Float, clip: Float, v1: Bool) -> Float {
        var v = stored
        if v1 && !v.isFinite { v = v.isNaN ? 0 : (v > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude) }
        v = v / 1000
        if v > clip { v = clip }
        if v < 0 { v = 0 }
        return v
    }

    /// Millimetres to clipped metres, in place.
    public func metres(_ values: UnsafeMutableBufferPointer<Float>) {
        let clip = self.clip, v1 = config.dataset == .batvisionv1
        for i in values.indices { values[i] = metres(values[i], clip: clip, v1: v1) }
    }

    /// The finished target [S, S] into `out` straight from a stored depth map: rows are
    /// converted to clipped metres one at a time (little-endian uint16 and float32, the
    /// Batvision dtypes, without a full-size float copy; anything else through `floats`).
    public func compute(_ npy: NPYArray, resize: AntialiasResize, into out: UnsafeMutableBufferPointer<Float>,
                        scratch: inout [Float], values: inout [Float]) {
        let h = npy.shape[0], w = npy.shape[1]
        let fast = !npy.fortranOrder && !npy.dtype.bigEndian && config.depthResize == .reference
            && (npy.dtype == .uint16 || npy.dtype == .float32)
        if !fast {
            if values.count < h * w { values = [Float](repeating: 0, count: h * w) }
            values.withUnsafeMutableBufferPointer { v in
                npy.floats(into: v)
                compute(v, height: h, width: w, resize: resize, into: out, scratch: &scratch)
            }
            return
        }
        let clip = self.clip, v1 = config.dataset == .batvisionv1
        npy.body.withUnsafeBytes { raw in
            if npy.dtype == .uint16 {
                let thousand = SIMD8<Float>(repeating: 1000), clip8 = SIMD8<Float>(repeating: clip)
                resize.run(rows: { y, row in
                    let src = raw.baseAddress.map { $0 + 2 * y * w }
                    guard let src else { return }
                    var x = 0
                    // Eight pixels at a time: the same IEEE division and clip as one at a time.
                    while x + 8 <= w {
                        let u = src.loadUnaligned(fromByteOffset: 2 * x, as: SIMD8<UInt16>.self)
                        let v = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: u)) / thousand
                        (UnsafeMutableRawPointer(row) + 4 * x).storeBytes(of: v.replacing(with: clip8, where: v .> clip8), as: SIMD8<Float>.self)
                        x += 8
                    }
                    while x < w {
                        let v = Float(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * x, as: UInt16.self))) / 1000
                        row[x] = v > clip ? clip : v
                        x += 1
                    }
                }, into: out, scratch: &scratch)
            } else {
                resize.run(rows: { y, row in
                    for x in 0..<w {
                        let stored = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * (y * w + x), as: UInt32.self)))
                        row[x] = metres(stored, clip: clip, v1: v1)
                    }
                }, into: out, scratch: &scratch)
            }
        }
        normalise(out)
    }

    /// Of a finished target (cache units), the valid pixels and those the resize invented:
    /// deeper than 0 but shallower than `smallest`, the map's smallest measured depth (in
    /// metres), by more than 0.01 % (a float weighted mean of equal depths may round a few
    /// ulps below them). A weighted mean of measured depths is never below their minimum,
    /// so only holes averaged in (`reference`) make such pixels (docs/protocols.md gives
    /// the stricter per-window count).
    public func invented(in target: UnsafeBufferPointer<Float>, smallest: Float) -> (invented: Int, valid: Int) {
        let below = smallest * (1 - 1e-4) / config.metresPerUnit
        var invented = 0, valid = 0
        for t in target where t > 0 {
            valid += 1
            if t < below { invented += 1 }
        }
        return (invented, valid)
    }

    /// A map's smallest measured depth as the target sees it: millimetres to metres, clipped.
    public func smallestTargetDepth(millimetres: Double?) -> Float {
        guard let mm = millimetres else { return 0 }
        return metres(Float(mm), clip: clip, v1: config.dataset == .batvisionv1)
    }

    /// One stored map (millimetres, height x width, its smallest measured depth) made into
    /// its target, counted as `invented` counts: what `stats` reports of a dataset.
    public func validAndInvented(millimetres: [Float], height: Int, width: Int, smallest: Double?) -> (valid: Int, invented: Int) {
        guard height > 0, width > 0, millimetres.count == height * width else { return (0, 0) }
        let s = config.imagesSize
        var values = millimetres, out = [Float](repeating: 0, count: s * s), scratch: [Float] = []
        let resize = AntialiasResize(inputHeight: height, inputWidth: width, outputHeight: s, outputWidth: s)
        values.withUnsafeMutableBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in compute(v, height: height, width: width, resize: resize, into: o, scratch: &scratch) }
        }
        let counts = out.withUnsafeBufferPointer { invented(in: $0, smallest: smallestTargetDepth(millimetres: smallest)) }
        return (counts.valid, counts.invented)
    }

    private func normalise(_ out: UnsafeMutableBufferPointer<Float>) {
        if config.depthNorm, let m = config.maxDepth {
            let md = Float(m)
            for i in out.indices { out[i] = out[i] / md }
        }
    }

    /// The finished target [S, S] into `out` from millimetres [h, w] (overwritten).
    public func compute(_ values: UnsafeMutableBufferPointer<Float>, height: Int, width: Int, resize: AntialiasResize,
                        into out: UnsafeMutableBufferPointer<Float>, scratch: inout [Float]) {
        let n = height * width
        let v = UnsafeMutableBufferPointer(rebasing: values[0..<n])
        metres(v)
        switch config.depthResize {
        case .reference: resize.run(UnsafeBufferPointer(v), into: out, scratch: &scratch)
        case .nearest: DepthResampling.nearest(UnsafeBufferPointer(v), height: height, width: width, into: out, size: config.imagesSize)
        case .validArea: DepthResampling.validArea(UnsafeBufferPointer(v), height: height, width: width, into: out, size: config.imagesSize)
        }
        normalise(out)
    }
}
