import Support

/// im2col / col2im for the U-Net's only convolution shape: 4x4 kernel, stride 2, padding 1,
/// on activations stored channel-major as [C, N, H, W] ("CNHW": a channel's pixels for
/// the whole batch are contiguous, so a convolution is one sgemm and BatchNorm and channel
/// concatenation are contiguous). Columns cover samples n0..<n1: col[(c*16 + kh*4 + kw),
/// (n - n0)*Ho*Wo + oh*Wo + ow] = x[c, n, 2*oh - 1 + kh, 2*ow - 1 + kw] (0 outside).
///
/// With stride 2 the four kernel columns read the image row's odd or even pixels, shifted:
/// kw 0 -> x[2ow-1] = odd[ow-1], kw 1 -> even[ow], kw 2 -> odd[ow], kw 3 -> even[ow+1].
/// So each image row is split into its even and odd pixels once, and every (kh, kw) row of
/// the columns is a contiguous copy (and col2im a contiguous add) instead of a strided gather.
enum Im2Col {
    /// Gathers the patches of `x` [C, N, H, W] into `col` [C*16, (n1-n0)*(H/2)*(W/2)].
    static func gather(_ x: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                       samples: Range<Int>, into col: UnsafeMutablePointer<Float>, par: Parallelism) {
        let ho = h / 2, wo = w / 2
        let cols = samples.count * ho * wo
        if SmallPlane.fits(height: h, width: w) {
            SmallPlane.gather(x, channels: channels, batch: batch, height: h, width: w, samples: samples, into: col, par: par)
            return
        }
        forEachPlane(channels: channels, samples: samples, halfWidth: wo, par: par) { c, j, n, even, odd in
            let rows = col + c * 16 * cols
            let image = x + (c * batch + n) * h * w
            for oh in 0..<ho {
                let at = (j * ho + oh) * wo
                for kh in 0..<4 {
                    let ih = 2 * oh - 1 + kh
                    let r0 = rows + (kh * 4) * cols + at
                    guard ih >= 0 && ih < h else {
                        for kw in 0..<4 { (r0 + kw * cols).update(repeating: 0, count: wo) }
                        continue
                    }
                    deinterleave(image + ih * w, even: even, odd: odd, count: wo)
                    let k0 = r0, k1 = r0 + cols, k2 = r0 + 2 * cols, k3 = r0 + 3 * cols
                    k0[0] = 0
                    copy(odd, to: k0 + 1, count: wo - 1)
                    copy(even, to: k1, count: wo)
                    copy(odd, to: k2, count: wo)
                    copy(even + 1, to: k3, count: wo - 1)
                    k3[wo - 1] = 0
                }
            }
        }
    }

    /// Sums the columns back into the image (the adjoint of `gather`): the planes of
    /// `samples` in `image` [C, N, H, W] become, at (c, n, 2*oh - 1 + kh, 2*ow - 1 + kw), the sum
    /// of col[(c, kh, kw), (n, oh, ow)]. Overwritten, not added to: each plane belongs to one
    /// chunk of samples, so the callers need not zero the image first. Every pixel's sum starts
    /// from its first term + 0, bit for bit the old zeroed image plus the same terms in the
    /// same order (0 + x is x + 0, -0 included, and a sum that starts so is never -0).
    static func scatter(_ col: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                        samples: Range<Int>, into image: UnsafeMutablePointer<Float>, par: Parallelism) {
        let ho = h / 2, wo = w / 2
        let cols = samples.count * ho * wo
        if SmallPlane.fits(height: h, width: w) {
            SmallPlane.scatter(col, channels: channels, batch: batch, height: h, width: w, samples: samples, into: image, par: par)
            return
        }
        forEachPlane(channels: channels, samples: samples, halfWidth: wo, par: par) { c, j, n, even, odd in
            let rows = col + c * 16 * cols
            let plane = image + (c * batch + n) * h * w
            // No columns (a side under 2) or an odd width's last pixel: nothing lands there.
            guard ho > 0, wo > 0 else { plane.update(repeating: 0, count: h * w); return }
            if w & 1 == 1 { for ih in 0..<h { plane[ih * w + w - 1] = 0 } }
            for ih in 0..<h {
                // The (oh, kh) pairs that land on image row ih: 2*oh - 1 + kh = ih (one or two).
                var first = true
                var kh = (ih + 1) & 1
                while kh < 4 {
                    let oh = (ih + 1 - kh) / 2
                    if oh >= 0 && oh < ho {
                        let r0 = rows + (kh * 4) * cols + (j * ho + oh) * wo
                        let k0 = r0, k1 = r0 + cols, k2 = r0 + 2 * cols, k3 = r0 + 3 * cols
                        if first {
                            plusZero(k0 + 1, to: odd, count: wo - 1)
                            odd[wo - 1] = 0
                            plusZero(k1, to: even, count: wo)
                            first = false
                        } else {
                            add(k0 + 1, to: odd, count: wo - 1)
                            add(k1, to: even, count: wo)
                        }
                        add(k2, to: odd, count: wo)
                        add(k3, to: even + 1, count: wo - 1)
                    }
                    kh += 2
                }
                interleave(even: even, odd: odd, to: plane + ih * w, count: wo)
            }
        }
    }

    // Row helpers, eight floats at a time (each element's copy or single add is the same
    // as one at a time; these rows are too short for a library call to pay).

    /// even[i] = line[2i], odd[i] = line[2i + 1] for i < count.
    @inline(__always)
    private static func deinterleave(_ line: UnsafePointer<Float>, even: UnsafeMutablePointer<Float>,
                                     odd: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(line + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
            even.store8(v.evenHalf, at: i)
            odd.store8(v.oddHalf, at: i)
            i += 8
        }
        while i < count { even[i] = line[2 * i]; odd[i] = line[2 * i + 1]; i += 1 }
    }

    /// line[2i] = even[i], line[2i + 1] = odd[i] for i < count.
    @inline(__always)
    private static func interleave(even: UnsafePointer<Float>, odd: UnsafePointer<Float>,
                                   to line: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            var pairs = SIMD16<Float>()
            pairs.evenHalf = even.load8(at: i)
            pairs.oddHalf = odd.load8(at: i)
            UnsafeMutableRawPointer(line + 2 * i).storeBytes(of: pairs, as: SIMD16<Float>.self)
            i += 8
        }
        while i < count { line[2 * i] = even[i]; line[2 * i + 1] = odd[i]; i += 1 }
    }

    /// to[i] = from[i] for i < count.
    @inline(__always)
    private static func copy(_ from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int) {
        combine(from, into: to, count: count, { _, f in f }, { _, f in f })
    }

    /// to[i] = from[i] + 0 for i < count: the first term of a sum that used to start from 0
    /// (+ 0 turns -0 into +0, as 0 + x did; the compiler may not drop it).
    @inline(__always)
    private static func plusZero(_ from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int) {
        combine(from, into: to, count: count, { _, f in f + SIMD8<Float>(repeating: 0) }, { _, f in f + 0 })
    }

    /// to[i] += from[i] for i < count.
    @inline(__always)
    private static func add(_ from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int) {
        combine(from, into: to, count: count, { t, f in t + f }, { t, f in t + f })
    }

    /// to[i] = op(to[i], from[i]) for i < count: eight at a time through `vector`, the rest
    /// through `scalar`, the same single IEEE operation per element either way.
    @inline(__always)
    private static func combine(_ from: UnsafePointer<Float>, into to: UnsafeMutablePointer<Float>, count: Int,
                                _ vector: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>,
                                _ scalar: (Float, Float) -> Float) {
        var i = 0
        while i + 8 <= count {
            to.store8(vector(to.load8(at: i), from.load8(at: i)), at: i)
            i += 8
        }
        while i < count { to[i] = scalar(to[i], from[i]); i += 1 }
    }

    /// Runs `body(c, j, n, even, odd)` for every channel c (split across the threads) and
    /// every sample n (j-th of `samples`), with per-thread even/odd row scratch.
    @inline(__always)
    static func forEachPlane(channels: Int, samples: Range<Int>, halfWidth wo: Int, par: Parallelism,
                                     _ body: (Int, Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        par.ranges(channels, grain: 1) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * wo) { scratch in
                guard let even = scratch.baseAddress else { return }
                for c in range {
                    for (j, n) in samples.enumerated() { body(c, j, n, even, even + wo) }
                }
            }
        }
    }

    /// How many samples one column chunk holds so the column buffer stays near `budget`
    /// floats (bounded memory, cache-friendlier gemms); at least one.
    static func samplesPerChunk(rows: Int, pixelsPerSample: Int, batch: Int, budget: Int = 1 << 23) -> Int {
        Swift.max(1, Swift.min(batch, budget / Swift.max(1, rows * pixelsPerSample)))
    }
}
