import Foundation

/// Curves as a PNG: one or more panels side by side (e.g. train loss | validation loss),
/// each with a title, ticked axes and their labels, one colour per series (the same series
/// index is the same colour in every panel), markers on the points, and one legend below
/// naming the series. Non-finite points break a curve.
public struct LineChart {
    public struct Panel {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        /// One list of (x, y) per series, in legend order; empty when a series has no points here.
        public var series: [[(x: Double, y: Double)]]
        /// Whether x is a count (epochs): integer ticks.
        public var integerX: Bool

        public init(title: String, xLabel: String, yLabel: String, series: [[(x: Double, y: Double)]], integerX: Bool) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.series = series
            self.integerX = integerX
        }
    }

    public var panels: [Panel]
    /// Names of the series; a series with no point in any panel is left out of the legend
    /// (the others keep their colours, so every chart of a set matches).
    public var legend: [String]
    public var panelWidth = 440

    public init(panels: [Panel], legend: [String], panelWidth: Int = 440) {
        self.panels = panels
        self.legend = legend
        self.panelWidth = panelWidth
    }

    /// Matplotlib's tab10: ten colours told apart at a glance; series past ten are dashed.
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ]

    public static func colour(_ series: Int) -> (UInt8, UInt8, UInt8) { palette[series % palette.count] }

    static let panelHeight = 330, left = 64, right = 16, top = 40, bottom = 52

    public func render() -> RGBImage {
        let legendRows = legendLayout(width: panels.count * panelWidth)
        let height = Self.panelHeight + 12 + legendRows.count * 18 + 8
        var image = RGBImage(width: max(1, panels.count) * panelWidth, height: height)
        for (p, panel) in panels.enumerated() { draw(panel, originX: p * panelWidth, on: &image) }
        for (row, items) in legendRows.enumerated() {
            let y = Self.panelHeight + 12 + row * 18
            for (x, s) in items {
                let c = Self.colour(s)
                for dx in 0..<18 where s < Self.palette.count || (dx / 4) % 2 == 0 {
                    for dy in 4..<7 { image[x + dx, y + dy] = c }
                }
                BitmapFont.draw(legend[s], at: x + 24, y, on: &image)
            }
        }
        return image
    }

    /// The legend's entries as rows of (x, series) that fit in `width`.
    func legendLayout(width: Int) -> [[(x: Int, series: Int)]] {
        var rows: [[(x: Int, series: Int)]] = [[]]
        var x = Self.left
        for (s, name) in legend.enumerated() where panels.contains(where: { s < $0.series.count && !$0.series[s].isEmpty }) {
            let w = 24 + BitmapFont.width(name) + 20
            if x + w > width && !(rows.last?.isEmpty ?? true) { rows.append([]); x = Self.left }
            rows[rows.count - 1].append((x, s))
            x += w
        }
        return legend.isEmpty ? [] : rows
    }

    func draw(_ panel: Panel, originX: Int, on image: inout RGBImage) {
        let plotX = originX + Self.left, plotW = panelWidth - Self.left - Self.right
        let plotY = Self.top, plotH = Self.panelHeight - Self.top - Self.bottom
        BitmapFont.draw(panel.title, at: plotX, 8, on: &image)
        BitmapFont.draw(panel.yLabel, at: originX + 4, Self.top - 14, on: &image)
        let points = panel.series.flatMap { $0 }.filter { $0.x.isFinite && $0.y.isFinite }
        var (xLo, xHi) = (points.map(\.x).min() ?? 0, points.map(\.x).max() ?? 1)
        var (yLo, yHi) = (points.map(\.y).min() ?? 0, points.map(\.y).max() ?? 1)
        if xHi <= xLo { xLo -= 1; xHi += 1 }
        if yHi <= yLo { let pad = max(abs(yLo) * 0.1, 0.05); yLo -= pad; yHi += pad }
        let yPad = (yHi - yLo) * 0.06
        yLo -= yPad; yHi += yPad
        func px(_ x: Double) -> Int { plotX + Int(((x - xLo) / (xHi - xLo) * Double(plotW - 1)).rounded()) }
        func py(_ y: Double) -> Int { plotY + plotH - 1 - Int(((y - yLo) / (yHi - yLo) * Double(plotH - 1)).rounded()) }
        // Grid, ticks and their values.
        for t in Self.ticks(yLo, yHi, integer: false) {
            let y = py(t.value)
            for x in stride(from: plotX, to: plotX + plotW, by: 3) { image[x, y] = (225, 225, 225) }
            for x in (plotX - 4)..<plotX { image[x, y] = (0, 0, 0) }
            BitmapFont.draw(t.text, at: max(originX, plotX - 8 - BitmapFont.width(t.text)), y - 5, on: &image)
        }
        for t in Self.ticks(xLo, xHi, integer: panel.integerX) {
            let x = px(t.value)
            for y in stride(from: plotY, to: plotY + plotH, by: 3) { image[x, y] = (225, 225, 225) }
            for y in (plotY + plotH)..<(plotY + plotH + 5) { image[x, y] = (0, 0, 0) }
            BitmapFont.draw(t.text, at: x - BitmapFont.width(t.text) / 2, plotY + plotH + 8, on: &image)
        }
        for x in plotX..<(plotX + plotW) { image[x, plotY + plotH] = (0, 0, 0) }
        for y in plotY...(plotY + plotH) { image[plotX - 1, y] = (0, 0, 0) }
        BitmapFont.draw(panel.xLabel, at: plotX + plotW / 2 - BitmapFont.width(panel.xLabel) / 2, plotY + plotH + 26, on: &image)
        // Curves, then markers on top.
        let clip = (plotX...(plotX + plotW - 1), plotY...(plotY + plotH - 1))
        for (s, series) in panel.series.enumerated() {
            let c = Self.colour(s)
            let dashed = s >= Self.palette.count
            var previous: (Int, Int)?
            for p in series {
                guard p.x.isFinite && p.y.isFinite else { previous = nil; continue }
                let here = (px(p.x), py(p.y))
                if let from = previous { Self.line(from, here, colour: c, dashed: dashed, clip: clip, on: &image) }
                previous = here
            }
            for p in series where p.x.isFinite && p.y.isFinite {
                let (cx, cy) = (px(p.x), py(p.y))
                for dx in -2...2 { for dy in -2...2 where clip.0.contains(cx + dx) && clip.1.contains(cy + dy) { image[cx + dx, cy + dy] = c } }
            }
        }
    }

    /// A two-pixel-thick line (Bresenham), dashed when asked.
    static func line(_ a: (Int, Int), _ b: (Int, Int), colour: (UInt8, UInt8, UInt8), dashed: Bool,
                     clip: (ClosedRange<Int>, ClosedRange<Int>), on image: inout RGBImage) {
        var (x, y) = a
        let dx = abs(b.0 - a.0), dy = -abs(b.1 - a.1)
        let sx = a.0 < b.0 ? 1 : -1, sy = a.1 < b.1 ? 1 : -1
        var err = dx + dy, step = 0
        while true {
            if !dashed || (step / 6) % 2 == 0 {
                for (ox, oy) in [(0, 0), (1, 0), (0, 1)] where clip.0.contains(x + ox) && clip.1.contains(y + oy) {
                    image[x + ox, y + oy] = colour
                }
            }
            if x == b.0 && y == b.1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
            step += 1
        }
    }

    /// About five round tick values in [lo, hi] (steps of 1, 2 or 5 times a power of ten)
    /// with labels showing just the digits the step needs.
    static func ticks(_ lo: Double, _ hi: Double, integer: Bool) -> [(value: Double, text: String)] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [] }
        let raw = (hi - lo) / 5
        let power = pow(10, (log10(raw)).rounded(.down))
        var step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        if integer { step = max(1, step.rounded()) }
        let decimals = integer ? 0 : max(0, Int(-log10(step).rounded(.down)))
        var out: [(Double, String)] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 && out.count < 50 {
            out.append((v, String(format: "%.\(decimals)f", v == 0 ? 0 : v)))
            v += step
        }
        return out
    }
}
