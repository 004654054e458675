/// im2col / col2im for the U-Net's only convolution shape: 4x4 kernel, stride 2, padding 1,
/// on activations stored channel-major as [C, N, H, W] ("CNHW": a channel's pixels for
/// the whole batch are contiguous, so a convolution is one sgemm and BatchNorm and channel
/// concatenation are contiguous). Columns cover samples n0..<n1: col[(c*16 + kh*4 + kw),
/// (n - n0)*Ho*Wo + oh*Wo + ow] = x[c, n, 2*oh - 1 + kh, 2*ow - 1 + kw] (0 outside).
enum Im2Col {
    /// Gathers the patches of `x` [C, N, H, W] into `col` [C*16, (n1-n0)*(H/2)*(W/2)].
    static func gather(_ x: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                       samples: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let ho = h / 2, wo = w / 2, nb = samples.count
        let cols = nb * ho * wo
        parallelRanges(channels, grain: 1) { range in
            for c in range {
                for kh in 0..<4 {
                    for kw in 0..<4 {
                        let row = col + (c * 16 + kh * 4 + kw) * cols
                        for (j, n) in samples.enumerated() {
                            let image = x + (c * batch + n) * h * w
                            for oh in 0..<ho {
                                let out = row + (j * ho + oh) * wo
                                let ih = 2 * oh - 1 + kh
                                guard ih >= 0 && ih < h else { out.update(repeating: 0, count: wo); continue }
                                let line = image + ih * w
                                // iw = 2*ow - 1 + kw leaves the image only at ow = 0 (kw = 0)
                                // or ow = wo - 1 (kw = 3).
                                let first = kw == 0 ? 1 : 0
                                let last = kw == 3 ? wo - 1 : wo
                                if first == 1 { out[0] = 0 }
                                if last < wo { out[wo - 1] = 0 }
                                var ow = first
                                while ow < last { out[ow] = line[2 * ow - 1 + kw]; ow += 1 }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the columns back into the image (the adjoint of `gather`): `image` [C, N, H, W]
    /// receives col[(c, kh, kw), (n, oh, ow)] at (c, n, 2*oh - 1 + kh, 2*ow - 1 + kw).
    static func scatterAdd(_ col: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                           samples: Range<Int>, into image: UnsafeMutablePointer<Float>) {
        let ho = h / 2, wo = w / 2, nb = samples.count
        let cols = nb * ho * wo
        parallelRanges(channels, grain: 1) { range in
            for c in range {
                for kh in 0..<4 {
                    for kw in 0..<4 {
                        let row = col + (c * 16 + kh * 4 + kw) * cols
                        for (j, n) in samples.enumerated() {
                            let plane = image + (c * batch + n) * h * w
                            for oh in 0..<ho {
                                let ih = 2 * oh - 1 + kh
                                guard ih >= 0 && ih < h else { continue }
                                let src = row + (j * ho + oh) * wo
                                let line = plane + ih * w
                                let first = kw == 0 ? 1 : 0
                                let last = kw == 3 ? wo - 1 : wo
                                var ow = first
                                while ow < last { line[2 * ow - 1 + kw] += src[ow]; ow += 1 }
                            }
                        }
                    }
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
