import Support

extension Im2Col {
    /// im2col / col2im for planes of at most 8x8 pixels (the U-Net's deep levels, down to
    /// 2x2), where the row loops of `gather` and `scatter` are one to four floats long and
    /// run one float at a time: each (tap, output pixel) pair's image pixel is worked out
    /// once per call into a table, and every plane is then a run of table lookups. The
    /// values are those of the row loops, bit for bit (a copy; each pixel's terms summed in
    /// the same order from the same first term).
    enum SmallPlane {
        /// The largest side handled here: on 16x16 planes the row loops were faster (small
        /// model training 588-684 against 707-724 samples/s with 16, 747-787 with 8).
        static let maxSide = 8

        static func fits(height h: Int, width w: Int) -> Bool {
            h >= 2 && w >= 2 && h <= maxSide && w <= maxSide
        }

        /// `Im2Col.gather` for planes that fit.
        static func gather(_ x: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                           samples: Range<Int>, into col: UnsafeMutablePointer<Float>, par: Parallelism) {
            let ho = h / 2, wo = w / 2, outPixels = ho * wo
            let cols = samples.count * outPixels
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 16 * outPixels) { table in
                guard let source = table.baseAddress else { return }
                // source[t * outPixels + q]: the image pixel of tap t = kh*4 + kw at output pixel q, or -1
                // (padding; as in the row loops, an odd width's last column counts as padding).
                for kh in 0..<4 { for kw in 0..<4 { for oh in 0..<ho { for ow in 0..<wo {
                    let ih = 2 * oh - 1 + kh, iw = 2 * ow - 1 + kw
                    source[(kh * 4 + kw) * outPixels + oh * wo + ow] = ih >= 0 && ih < h && iw >= 0 && iw < 2 * wo ? Int32(ih * w + iw) : -1
                } } } }
                let taps = UnsafePointer(source)
                Im2Col.forEachPlane(channels: channels, samples: samples, halfWidth: wo, par: par) { c, j, n, _, _ in
                    let image = x + (c * batch + n) * h * w
                    let rows = col + c * 16 * cols + j * outPixels
                    for t in 0..<16 {
                        let row = rows + t * cols, from = taps + t * outPixels
                        for q in 0..<outPixels {
                            let s = Int(from[q])
                            row[q] = s >= 0 ? image[s] : 0
                        }
                    }
                }
            }
        }

        /// `Im2Col.scatter` for planes that fit: each pixel's terms in the row loops' order
        /// (kernel rows kh, kh + 2; within one, kw 1 then 3 onto even pixels, kw 0 then 2 onto
        /// odd ones), the first + 0, the rest added; a pixel with none (an odd width's last) is 0.
        static func scatter(_ col: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                            samples: Range<Int>, into image: UnsafeMutablePointer<Float>, par: Parallelism) {
            let ho = h / 2, wo = w / 2, outPixels = ho * wo
            let cols = samples.count * outPixels
            let pixels = h * w
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * pixels) { table in
                guard let terms = table.baseAddress else { return }
                // terms[p * 4 + i]: the i-th term's offset in the plane's columns, or -1 after the last.
                for ih in 0..<h {
                    for iw in 0..<w {
                        var slot = (ih * w + iw) * 4
                        func add(_ kh: Int, _ kw: Int, _ oh: Int, _ ow: Int) {
                            guard ow >= 0, ow < wo else { return }
                            terms[slot] = (kh * 4 + kw) * cols + oh * wo + ow
                            slot += 1
                        }
                        let i = iw / 2
                        for kh in stride(from: (ih + 1) & 1, to: 4, by: 2) {
                            let oh = (ih + 1 - kh) / 2
                            guard oh >= 0, oh < ho, i < wo else { continue }
                            if iw % 2 == 0 {
                                add(kh, 1, oh, i)
                                add(kh, 3, oh, i - 1)
                            } else {
                                add(kh, 0, oh, i + 1)
                                add(kh, 2, oh, i)
                            }
                        }
                        while slot < (ih * w + iw + 1) * 4 { terms[slot] = -1; slot += 1 }
                    }
                }
                let order = UnsafePointer(terms)
                Im2Col.forEachPlane(channels: channels, samples: samples, halfWidth: wo, par: par) { c, j, n, _, _ in
                    let rows = col + c * 16 * cols + j * outPixels
                    let plane = image + (c * batch + n) * pixels
                    for p in 0..<pixels {
                        let t = order + p * 4
                        guard t[0] >= 0 else { plane[p] = 0; continue }
                        var sum = rows[t[0]] + 0  // + 0: -0 becomes +0, as a sum from 0 did
                        for k in 1..<4 where t[k] >= 0 { sum += rows[t[k]] }
                        plane[p] = sum
                    }
                }
            }
        }
    }
}
