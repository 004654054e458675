/// Viridis (matplotlib's default map: perceptually uniform, readable in grey and by
/// colour-blind readers), as the degree-6 polynomial fit widely used in shaders; the same
/// numbers as the project's bitmap-era ColourMap, so colours match pixel for pixel.
public enum ColourMap {
    /// `t` in [0, 1]; outside is clamped (callers that must not clip check the range first,
    /// as PredictionSheet does); NaN gives the colour of 0.
    public static func viridis(_ t: Double) -> (UInt8, UInt8, UInt8) {
        let x = t.isNaN ? 0 : min(max(t, 0), 1)
        let c0 = (0.2777273272234177, 0.005407344544966578, 0.3340998053353061)
        let c1 = (0.1050930431085774, 1.404613529898575, 1.384590162594685)
        let c2 = (-0.3308618287255563, 0.214847559468213, 0.09509516302823659)
        let c3 = (-4.634230498983486, -5.799100973351585, -19.33244095627987)
        let c4 = (6.228269936347081, 14.17993336680509, 56.69055260068105)
        let c5 = (4.776384997670288, -13.74514537774601, -65.35303263337234)
        let c6 = (-5.435455855934631, 4.645852612178535, 26.3124352495832)
        func channel(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, _ f: Double, _ g: Double) -> UInt8 {
            let v = a + x * (b + x * (c + x * (d + x * (e + x * (f + x * g)))))
            return UInt8(min(max(v, 0), 1) * 255 + 0.5)
        }
        return (channel(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0, c6.0),
                channel(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1, c6.1),
                channel(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2, c6.2))
    }

    /// A `width` x 1 raster running through viridis left to right, for colour bars.
    public static func viridisBar(width: Int = 256) -> Canvas.Raster {
        var px: [UInt8] = []
        px.reserveCapacity(width * 3)
        for i in 0..<width {
            let c = viridis(Double(i) / Double(max(width - 1, 1)))
            px += [c.0, c.1, c.2]
        }
        return Canvas.Raster(width: width, height: 1, pixels: px)
    }
}
