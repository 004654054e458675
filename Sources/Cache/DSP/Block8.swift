/// Eight 8-lane vectors, transposed in registers (lane r of vector k <-> lane k of vector
/// r): unpack pairs, then pairs of pairs, then halves, as an 8x8 AVX transpose does.
/// Moves values only, so every float comes out as it went in.
struct Block8 {
    var v0 = SIMD8<Float>.zero, v1 = SIMD8<Float>.zero, v2 = SIMD8<Float>.zero, v3 = SIMD8<Float>.zero
    var v4 = SIMD8<Float>.zero, v5 = SIMD8<Float>.zero, v6 = SIMD8<Float>.zero, v7 = SIMD8<Float>.zero

    init() {}

    /// Eight vectors from `base`, `stride` bytes apart.
    @inline(__always)
    init(_ base: UnsafeRawPointer, stride: Int) {
        v0 = base.loadUnaligned(as: SIMD8<Float>.self)
        v1 = base.loadUnaligned(fromByteOffset: stride, as: SIMD8<Float>.self)
        v2 = base.loadUnaligned(fromByteOffset: 2 * stride, as: SIMD8<Float>.self)
        v3 = base.loadUnaligned(fromByteOffset: 3 * stride, as: SIMD8<Float>.self)
        v4 = base.loadUnaligned(fromByteOffset: 4 * stride, as: SIMD8<Float>.self)
        v5 = base.loadUnaligned(fromByteOffset: 5 * stride, as: SIMD8<Float>.self)
        v6 = base.loadUnaligned(fromByteOffset: 6 * stride, as: SIMD8<Float>.self)
        v7 = base.loadUnaligned(fromByteOffset: 7 * stride, as: SIMD8<Float>.self)
    }

    @inline(__always)
    func store(_ base: UnsafeMutableRawPointer, stride: Int) {
        base.storeBytes(of: v0, as: SIMD8<Float>.self)
        (base + stride).storeBytes(of: v1, as: SIMD8<Float>.self)
        (base + 2 * stride).storeBytes(of: v2, as: SIMD8<Float>.self)
        (base + 3 * stride).storeBytes(of: v3, as: SIMD8<Float>.self)
        (base + 4 * stride).storeBytes(of: v4, as: SIMD8<Float>.self)
        (base + 5 * stride).storeBytes(of: v5, as: SIMD8<Float>.self)
        (base + 6 * stride).storeBytes(of: v6, as: SIMD8<Float>.self)
        (base + 7 * stride).storeBytes(of: v7, as: SIMD8<Float>.self)
    }

    @inline(__always) static func unpackLow(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5])
    }
    @inline(__always) static func unpackHigh(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7])
    }
    @inline(__always) static func pairsLow(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5])
    }
    @inline(__always) static func pairsHigh(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7])
    }

    @inline(__always)
    mutating func transpose() {
        let t0 = Self.unpackLow(v0, v1), t1 = Self.unpackHigh(v0, v1)
        let t2 = Self.unpackLow(v2, v3), t3 = Self.unpackHigh(v2, v3)
        let t4 = Self.unpackLow(v4, v5), t5 = Self.unpackHigh(v4, v5)
        let t6 = Self.unpackLow(v6, v7), t7 = Self.unpackHigh(v6, v7)
        let u0 = Self.pairsLow(t0, t2), u1 = Self.pairsHigh(t0, t2)
        let u2 = Self.pairsLow(t1, t3), u3 = Self.pairsHigh(t1, t3)
        let u4 = Self.pairsLow(t4, t6), u5 = Self.pairsHigh(t4, t6)
        let u6 = Self.pairsLow(t5, t7), u7 = Self.pairsHigh(t5, t7)
        v0 = SIMD8(lowHalf: u0.lowHalf, highHalf: u4.lowHalf)
        v1 = SIMD8(lowHalf: u1.lowHalf, highHalf: u5.lowHalf)
        v2 = SIMD8(lowHalf: u2.lowHalf, highHalf: u6.lowHalf)
        v3 = SIMD8(lowHalf: u3.lowHalf, highHalf: u7.lowHalf)
        v4 = SIMD8(lowHalf: u0.highHalf, highHalf: u4.highHalf)
        v5 = SIMD8(lowHalf: u1.highHalf, highHalf: u5.highHalf)
        v6 = SIMD8(lowHalf: u2.highHalf, highHalf: u6.highHalf)
        v7 = SIMD8(lowHalf: u3.highHalf, highHalf: u7.highHalf)
    }
}
