/// The depth target's resizes besides the reference's antialiased bilinear (`--depth_resize`),
/// on metres where 0 means "no measurement".
public enum DepthResampling {
    /// torch `interpolate(mode="nearest")`: output (y, x) takes source
    /// (floor(y * H / S), floor(x * W / S)), the scale computed in float as torch does.
    public static func nearest(_ src: UnsafeBufferPointer<Float>, height h: Int, width w: Int,
                               into out: UnsafeMutableBufferPointer<Float>, size s: Int) {
        let sy = Float(h) / Float(s), sx = Float(w) / Float(s)
        let cols = (0..<s).map { min(Int((Float($0) * sx).rounded(.down)), w - 1) }
        for y in 0..<s {
            let row = min(Int((Float(y) * sy).rounded(.down)), h - 1) * w
            for x in 0..<s { out[y * s + x] = src[row + cols[x]] }
        }
    }

    /// Per output index, the source indices its footprint [i * n / s, (i + 1) * n / s)
    /// overlaps and the length of each overlap.
    static func footprints(input n: Int, output s: Int) -> [[(index: Int, weight: Double)]] {
        let scale = Double(n) / Double(s)
        return (0..<s).map { i in
            let lo = Double(i) * scale, hi = Double(i + 1) * scale
            var taps: [(Int, Double)] = []
            var j = Int(lo.rounded(.down))
            while Double(j) < hi && j < n {
                let overlap = min(hi, Double(j + 1)) - max(lo, Double(j))
                if overlap > 0 { taps.append((j, overlap)) }
                j += 1
            }
            return taps
        }
    }

    /// The area-weighted mean of the valid (> 0) source pixels in each output pixel's
    /// footprint, 0 where it holds none: holes neither spread nor pull depth down.
    public static func validArea(_ src: UnsafeBufferPointer<Float>, height h: Int, width w: Int,
                                 into out: UnsafeMutableBufferPointer<Float>, size s: Int) {
        let rows = footprints(input: h, output: s), cols = footprints(input: w, output: s)
        for y in 0..<s {
            for x in 0..<s {
                var sum = 0.0, weight = 0.0
                for (i, wy) in rows[y] {
                    for (j, wx) in cols[x] {
                        let v = src[i * w + j]
                        guard v > 0 else { continue }
                        sum += wy * wx * Double(v)
                        weight += wy * wx
                    }
                }
                out[y * s + x] = weight > 0 ? Float(sum / weight) : 0
            }
        }
    }
}
