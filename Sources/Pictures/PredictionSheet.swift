import Foundation

/// One sample of a prediction sheet, mirroring the project's `DepthPanel` (id, gt, pred,
/// size; depth in metres, row-major size x size) plus its metrics for the row's title.
public struct SheetRow {
    public var id: String
    public var gt: [Float]
    public var pred: [Float]
    public var size: Int
    /// Shown after the id, e.g. ["rmse": 0.412, "abs_rel": 0.083, "delta1": 0.91] (the
    /// caller's figures: the sheet computes none of its own); empty: no metrics shown.
    public var metrics: [String: Double]
    /// Shown before the id, e.g. "best", "median", "worst".
    public var label: String?

    public init(id: String, gt: [Float], pred: [Float], size: Int, metrics: [String: Double] = [:], label: String? = nil) {
        self.id = id; self.gt = gt; self.pred = pred; self.size = size; self.metrics = metrics; self.label = label
    }
}

/// Depth predictions next to their ground truth: one row per sample (its label, id and
/// metrics above it), columns ground truth | prediction | absolute error.
///
/// Ground truth and prediction share one viridis scale from 0 to the deepest ground truth or
/// prediction shown, rounded up to a 1/2/5 step, capped at `maxDepth` when set. Nothing is
/// clipped silently: depths beyond the scale's top are drawn in `overColor` (magenta),
/// negative predictions in `underColor` (red), holes in the ground truth (0 or NaN: no
/// measurement) in `holeColor` (grey), NaN predictions in `nanColor` (black); the colour bar
/// states the range and keys each marker colour ("> 5 m", "no depth"; "< 0 m" and "NaN" only
/// when present). The error column has its own viridis scale, 0 to the largest error
/// rounded up (never clipped), with its own bar; holes are grey there too.
public struct PredictionSheet: Picture {
    public var rows: [SheetRow]
    /// The top of the depth scale at most (e.g. the dataset's max_depth); nil or <= 0: none.
    public var maxDepth: Double?
    /// The sheet's title: `title` (default "Predictions"), then " · epoch N" and/or
    /// " · checkpoint" when given.
    public var title: String?
    public var epoch: Int?
    public var checkpoint: String?
    public var width: Double

    public init(rows: [SheetRow], maxDepth: Double? = nil, title: String? = nil, epoch: Int? = nil,
                checkpoint: String? = nil, width: Double = 420) {
        self.rows = rows; self.maxDepth = maxDepth; self.title = title; self.epoch = epoch
        self.checkpoint = checkpoint; self.width = width
    }

    public static let overColor = Canvas.Color(255, 0, 255)
    public static let underColor = Canvas.Color(230, 0, 0)
    public static let holeColor = Canvas.Color(160, 160, 160)
    public static let nanColor = Canvas.Color(0, 0, 0)

    public var fullTitle: String {
        var t = title ?? "Predictions"
        if let epoch { t += " · epoch \(epoch)" }
        if let checkpoint { t += " · \(checkpoint)" }
        return t
    }

    static func isHole(_ g: Float) -> Bool { !(g.isFinite && g > 0) }

    /// The depth scale's top in metres: max(deepest ground truth, deepest finite prediction)
    /// rounded up to a multiple of the 1/2/5 step near a fifth of it, capped at `maxDepth`.
    public var depthScaleTop: Double {
        var deepest = 0.0
        for r in rows {
            for g in r.gt where !Self.isHole(g) { deepest = max(deepest, Double(g)) }
            for p in r.pred where p.isFinite { deepest = max(deepest, Double(p)) }
        }
        var top = deepest > 0 ? Self.roundUp(deepest) : 1
        if let cap = maxDepth, cap > 0, cap.isFinite { top = min(top, cap) }
        return top
    }

    /// The error scale's top: the largest absolute error on valid pixels, rounded up.
    public var errorScaleTop: Double {
        var e = 0.0
        for r in rows {
            for i in 0..<min(r.gt.count, r.pred.count) where !Self.isHole(r.gt[i]) && r.pred[i].isFinite {
                e = max(e, abs(Double(r.gt[i]) - Double(r.pred[i])))
            }
        }
        return e > 0 ? Self.roundUp(e) : 1
    }

    static func roundUp(_ v: Double) -> Double {
        let step = Axis.niceStep(v / 5)
        return max(step, (v / step - 1e-9).rounded(.up) * step)
    }

    /// "rmse 0.412 m, abs_rel 0.083, δ1 0.91": known metrics first in a fixed order, then the rest by name.
    public static func describe(_ metrics: [String: Double]) -> String {
        let order = ["rmse", "mae", "abs_rel", "sq_rel", "log10", "rmse_log", "delta1", "delta2", "delta3"]
        let keys = order.filter { metrics[$0] != nil } + metrics.keys.filter { !order.contains($0) }.sorted()
        return keys.map { k -> String in
            let v = metrics[k]!
            switch k {
            case "rmse", "mae": return String(format: "%@ %.3f m", k, v)
            case "delta1", "delta2", "delta3": return String(format: "δ%@ %.2f", String(k.last!), v)
            case "abs_rel", "sq_rel", "log10", "rmse_log": return String(format: "%@ %.3f", k, v)
            default: return String(format: "%@ %.3g", k, v)
            }
        }.joined(separator: ", ")
    }

    func rowTitle(_ r: SheetRow) -> String {
        let m = Self.describe(r.metrics)
        return [r.label, r.id].compactMap { $0 }.joined(separator: " ") + (m.isEmpty ? "" : ": " + m)
    }

    /// The colour of a depth `d` metres on a 0...`top` scale, marker colours outside it.
    static func depthColor(_ d: Float, top: Double) -> (UInt8, UInt8, UInt8) {
        if d.isNaN { return (nanColor.r, nanColor.g, nanColor.b) }
        if Double(d) > top { return (overColor.r, overColor.g, overColor.b) }
        if d < 0 { return (underColor.r, underColor.g, underColor.b) }
        return ColourMap.viridis(Double(d) / top)
    }

    /// The three rasters of a row (size x size each): ground truth, prediction, abs error.
    func rasters(_ r: SheetRow, top: Double, errorTop: Double) -> [Canvas.Raster] {
        let n = max(r.size, 1), count = n * n
        let hole = (Self.holeColor.r, Self.holeColor.g, Self.holeColor.b)
        var gt = [UInt8](repeating: 0, count: count * 3), pred = gt, err = gt
        func put(_ a: inout [UInt8], _ i: Int, _ c: (UInt8, UInt8, UInt8)) { a[3 * i] = c.0; a[3 * i + 1] = c.1; a[3 * i + 2] = c.2 }
        for i in 0..<count {
            let g: Float = i < r.gt.count ? r.gt[i] : 0
            let p: Float = i < r.pred.count ? r.pred[i] : .nan
            let holeHere = Self.isHole(g)
            put(&gt, i, holeHere ? hole : Self.depthColor(g, top: top))
            put(&pred, i, Self.depthColor(p, top: top))
            if holeHere { put(&err, i, hole) }
            else if p.isNaN { put(&err, i, (Self.nanColor.r, Self.nanColor.g, Self.nanColor.b)) }
            else { put(&err, i, Self.depthColor(abs(g - p), top: errorTop)) }
        }
        return [gt, pred, err].map { Canvas.Raster(width: n, height: n, pixels: $0) }
    }

    public func draw() -> Canvas {
        let m = 8.0, gap = 6.0
        let tile = (width - 2 * m - 2 * gap) / 3
        let titleH = 18.0, headerH = 12.0, rowTitleH = 11.0, rowGap = 5.0
        let barBlock = 40.0
        let height = m + titleH + headerH + Double(rows.count) * (rowTitleH + tile + rowGap) + barBlock + m
        let cv = Canvas(width: width, height: height)
        let top = depthScaleTop, errorTop = errorScaleTop
        cv.fittedText(fullTitle, at: .init(width / 2, m + 11), size: 10.5, maxWidth: width - 2 * m, bold: true, anchor: .center)
        let columns = ["Ground truth", "Prediction", "Absolute error"]
        func columnX(_ c: Int) -> Double { m + Double(c) * (tile + gap) }
        for (c, name) in columns.enumerated() {
            cv.text(name, at: .init(columnX(c) + tile / 2, m + titleH + 8), size: 8.5, bold: true, anchor: .center)
        }
        var y = m + titleH + headerH
        var anyUnder = false, anyNaN = false, anyOver = false
        for r in rows {
            cv.fittedText(rowTitle(r), at: .init(m, y + 8), size: 7.5, maxWidth: width - 2 * m, minSize: 6)
            y += rowTitleH
            for (c, raster) in rasters(r, top: top, errorTop: errorTop).enumerated() {
                let rect = Canvas.Rect(x: columnX(c), y: y, width: tile, height: tile)
                cv.image(raster, in: rect)
                cv.stroke(rect, .init(.black, width: 0.4))
            }
            anyUnder = anyUnder || r.pred.contains { $0 < 0 }
            anyNaN = anyNaN || r.pred.contains { $0.isNaN }
            anyOver = anyOver || r.pred.contains { Double($0) > top } || r.gt.contains { !Self.isHole($0) && Double($0) > top }
            y += tile + rowGap
        }
        // Depth colour bar under the first two columns, with its marker-colour keys after it;
        // the error bar under the third column.
        let barY = y + 14, barH = 8.0, keySize = 6.5, tickSize = 7.0
        var keys: [(String, Canvas.Color)] = [("> \(Self.metres(top)) m", Self.overColor)]
        if anyUnder { keys.append(("< 0 m", Self.underColor)) }
        keys.append(("no depth", Self.holeColor))
        if anyNaN { keys.append(("NaN", Self.nanColor)) }
        let keyWidths = keys.map { max(16, cv.textWidth($0.0, size: keySize) + 4) }
        let depthSpan = 2 * tile + gap
        let barW = depthSpan - keyWidths.reduce(0, +) - Double(keys.count) * 4 - 4
        let depthBar = Canvas.Rect(x: m, y: barY, width: barW, height: barH)
        cv.text("Depth (m), scale 0 to \(Self.metres(top)) m"
                + (anyOver ? "; deeper in magenta" : ""), at: .init(m, barY - 4), size: 7.5)
        colourBar(depthBar, top: top, on: cv, tickSize: tickSize, unit: "m")
        var kx = depthBar.maxX + 8
        for ((text, color), w) in zip(keys, keyWidths) {
            cv.fill(.init(x: kx, y: barY, width: w, height: barH), color)
            cv.stroke(.init(x: kx, y: barY, width: w, height: barH), .init(.black, width: 0.4))
            cv.text(text, at: .init(kx + w / 2, barY + barH + 10), size: keySize, anchor: .center)
            kx += w + 4
        }
        let errorBar = Canvas.Rect(x: columnX(2), y: barY, width: tile, height: barH)
        cv.text("Absolute error (m), 0 to \(Self.metres(errorTop)) m",
                at: .init(errorBar.x, barY - 4), size: 7.5)
        colourBar(errorBar, top: errorTop, on: cv, tickSize: tickSize, unit: "m")
        return cv
    }

    /// 5, 4.5, 0.25: a scale end without trailing zeros.
    static func metres(_ v: Double) -> String { String(format: "%.3g", v) }

    func colourBar(_ bar: Canvas.Rect, top: Double, on cv: Canvas, tickSize: Double, unit: String) {
        cv.image(ColourMap.viridisBar(), in: bar)
        cv.stroke(bar, .init(.black, width: 0.4))
        let (step, ticks, labels) = Axis.horizontalTicks(0, top, length: bar.width, spacing: 40, integer: false) {
            cv.textWidth($0, size: tickSize)
        }
        for (v, text) in zip(ticks, labels) {
            let x = bar.x + bar.width * v / top
            cv.line(.init(x, bar.maxY), .init(x, bar.maxY + 2.5), .init(.black, width: 0.6))
            let anchor: Canvas.Anchor = v == 0 ? .left : (abs(v - top) < step * 1e-6 ? .right : .center)
            cv.text(text, at: .init(anchor == .left ? x - 1 : anchor == .right ? x + 1 : x, bar.maxY + 10),
                    size: tickSize, anchor: anchor)
        }
        // The top of the scale is always labelled, even when it is not a tick.
        if let last = ticks.last, abs(last - top) > step * 1e-6 {
            let x = bar.maxX
            cv.line(.init(x, bar.maxY), .init(x, bar.maxY + 2.5), .init(.black, width: 0.6))
            let text = Self.metres(top)
            if bar.maxX - (bar.x + bar.width * last / top) > cv.textWidth(text, size: tickSize) * 0.5 + 8 {
                cv.text(text, at: .init(x + 1, bar.maxY + 10), size: tickSize, anchor: .right)
            }
        }
    }
}
