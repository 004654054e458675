import Foundation
import Ingest

/// The depth target of the reference loaders (SPEC section 2), in this order:
/// V1 NaN -> 0 and +/-inf -> +/-largest float32 (numpy nan_to_num); divide by 1000
/// (mm -> m); above max_depth -> max_depth; below 0 -> 0; resize (zeros included);
/// divide by max_depth when depth_norm. All in float32, as numpy and torch do.
public struct DepthTarget {
    public let config: FeatureConfig

    public init(config: FeatureConfig) { self.config = config }

    /// Metres before resizing, in place over `values` (millimetres as stored).
    public func metres(_ values: inout [Float]) {
        let clip = config.maxDepth.map { Float($0) }
        let v1 = config.dataset == .batvisionv1
        for i in values.indices {
            var v = values[i]
            if v1 {
                if v.isNaN { v = 0 } else if v == .infinity { v = .greatestFiniteMagnitude } else if v == -.infinity { v = -.greatestFiniteMagnitude }
            }
            v = v / 1000
            if let clip, v > clip { v = clip }
            if v < 0 { v = 0 }
            values[i] = v
        }
    }

    /// The finished target [S, S] from millimetres [h, w].
    public func compute(_ millimetres: [Float], height: Int, width: Int, resize: AntialiasResize,
                        scratch: inout [Float]) -> [Float] {
        var v = millimetres
        metres(&v)
        let s = config.imagesSize
        var out = [Float](repeating: 0, count: s * s)
        v.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in resize.run(src, into: dst, scratch: &scratch) }
        }
        if config.depthNorm, let m = config.maxDepth {
            let md = Float(m)
            for i in out.indices { out[i] = out[i] / md }
        }
        return out
    }
}
