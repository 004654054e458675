import Foundation

/// A histogram: a title, one bar per series (e.g. per split) side by side in each bin,
/// count axis on the left (integer ticks for counts), a continuous value axis below with
/// round ticks, a legend with each series' total, and optionally each bar's count above it.
///
/// With `normalisePerSeries` every series is shown as the percentage of its own total in each
/// bin, so a large train split does not dwarf val and test; the y axis then reads
/// "% of each \(seriesKind)" and the legend keeps the absolute totals (n = ...).
///
/// Bins are `start + k * binWidth ..< start + (k + 1) * binWidth`. A zero, negative,
/// non-finite or vanishing `binWidth` (all values equal: the old callers then passed
/// `hi = lo + 1e-9`) is drawn as a single bar of a sensible width centred on `start`, with
/// "all values = v" written in the plot: the axis never breaks. `HistogramChart.binned`
/// does the binning itself and picks such a width for equal values.
public struct HistogramChart: Picture {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// The lower edge of the first bin and the width of each.
    public var start: Double
    public var binWidth: Double
    public var series: [(name: String, counts: [Double])]
    /// Percent of each series' own total instead of raw counts.
    public var normalisePerSeries: Bool
    /// What a series is, for the normalised axis label ("% of each split").
    public var seriesKind: String
    /// Writes each bar's value (counts in compact form, 12.3k; percentages) above it.
    public var countLabels: Bool
    /// A grey note in the plot's top right corner. `binned` sets "all values = v" when every
    /// value is the same; a degenerate `binWidth` shows that note too.
    public var note: String?
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, yLabel: String, start: Double, binWidth: Double,
                series: [(name: String, counts: [Double])], normalisePerSeries: Bool = false,
                seriesKind: String = "split", countLabels: Bool = false, width: Double = 420, height: Double = 250) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.start = start; self.binWidth = binWidth
        self.series = series; self.normalisePerSeries = normalisePerSeries; self.seriesKind = seriesKind
        self.countLabels = countLabels; self.width = width; self.height = height
    }

    /// Bins `values` into `bins` equal bins over [lo, hi] (values outside join the end bins;
    /// non-finite values are skipped). The same as the bitmap-era function.
    public static func bin(_ values: [Double], lo: Double, hi: Double, bins: Int) -> [Double] {
        var out = [Double](repeating: 0, count: max(1, bins))
        let width = (hi - lo) / Double(out.count)
        for v in values where v.isFinite {
            let b = width > 0 ? Int(((v - lo) / width).rounded(.down)) : 0
            out[min(out.count - 1, max(0, b))] += 1
        }
        return out
    }

    /// A width that shows a single value `v` sensibly: a 1/2/5 step near 10 % of |v| (1 at 0).
    public static func widthForSingleValue(_ v: Double) -> Double {
        v == 0 || !v.isFinite ? 1 : Axis.niceStepBelow(abs(v) * 0.1)
    }

    /// Bins over the range of all series' finite values, with `bins` bins between round
    /// edges (the range widened to multiples of a 1/2/5 step when that costs at most one bin).
    /// All values equal (or a single value): one bin of `widthForSingleValue` centred on it.
    public static func binned(title: String, xLabel: String, yLabel: String,
                              series: [(name: String, values: [Double])], bins: Int = 30,
                              normalisePerSeries: Bool = false, seriesKind: String = "split",
                              countLabels: Bool = false, width: Double = 420, height: Double = 250) -> HistogramChart {
        let all = series.flatMap(\.values).filter(\.isFinite)
        let lo = all.min() ?? 0, hi = all.max() ?? 1
        var start: Double, w: Double, n: Int
        var note: String?
        if Axis.isDegenerate(lo, hi) {
            w = widthForSingleValue(lo); start = lo - w / 2; n = 1
            if !all.isEmpty { note = "all values = \(number(lo))" }
        } else {
            n = max(1, bins)
            w = (hi - lo) / Double(n)
            let nice = Axis.niceStep(w)
            let a = (lo / nice).rounded(.down) * nice
            let b = (hi / nice).rounded(.down) * nice + nice    // hi falls inside the last bin
            if Int(((b - a) / nice).rounded()) <= n + 1 { w = nice; start = a; n = Int(((b - a) / nice).rounded()) } else { start = lo }
        }
        let counts = series.map { s in (s.name, bin(s.values, lo: start, hi: start + w * Double(n), bins: n)) }
        var chart = HistogramChart(title: title, xLabel: xLabel, yLabel: yLabel, start: start, binWidth: w, series: counts,
                                   normalisePerSeries: normalisePerSeries, seriesKind: seriesKind, countLabels: countLabels,
                                   width: width, height: height)
        chart.note = note
        return chart
    }

    /// 0.125, 1, 2.5e+06: six significant digits at most, no trailing zeros; U+2212 for minus.
    static func number(_ v: Double) -> String {
        String(format: "%.6g", v).replacingOccurrences(of: "-", with: "\u{2212}")
    }

    /// Whether `binWidth` cannot be drawn as given.
    var degenerate: Bool { !(binWidth.isFinite && binWidth > 0) || binWidth <= 1e-9 * max(1, abs(start)) }

    /// (start, width, per-series values) as drawn: percentages when normalised, one bin when degenerate.
    func shownBins() -> (start: Double, width: Double, values: [[Double]]) {
        var values = series.map { $0.counts.map { $0.isFinite ? $0 : 0 } }
        var s = start, w = binWidth
        if degenerate {
            values = values.map { [$0.reduce(0, +)] }
            w = Self.widthForSingleValue(start)
            s = start - w / 2
        }
        if normalisePerSeries {
            values = values.map { v in let t = v.reduce(0, +); return t > 0 ? v.map { 100 * $0 / t } : v }
        }
        return (s, w, values)
    }

    public func draw() -> Canvas {
        let cv = Canvas(width: width, height: height)
        let m = 6.0
        let (s0, w, values) = shownBins()
        let bins = values.map(\.count).max() ?? 0
        let totals = series.map { $0.counts.filter(\.isFinite).reduce(0, +) }
        let integerCounts = !normalisePerSeries && series.allSatisfy { $0.counts.allSatisfy { $0 == $0.rounded() } }
        cv.fittedText(title, at: .init(width / 2, m + 10), size: 10, maxWidth: width - 2 * m, bold: true, anchor: .center)
        // Legend under the title (always when several series; a single one gets its total).
        let legendY = m + 24
        var legendSize = 7.5
        var entries: [(String, Canvas.Color)] = []
        for (k, s) in series.enumerated() {
            entries.append(("\(s.name) (n = \(Axis.compact(totals[k])))", Self.color(k)))
        }
        // Each entry: a 9 pt swatch, 4 pt, its text; 12 pt between entries.
        func textWidths(_ size: Double) -> [Double] { entries.map { cv.textWidth($0.0, size: size) } }
        func legendWidth(_ widths: [Double]) -> Double { widths.map { 13 + $0 }.reduce(0, +) + Double(max(0, entries.count - 1)) * 12 }
        var widths = textWidths(legendSize)
        if legendWidth(widths) > width - 2 * m {        // many or long names: smaller type (names past 6 pt get cut)
            legendSize = max(6, legendSize * (width - 2 * m) / legendWidth(widths))
            widths = textWidths(legendSize)
        }
        let legendRight = width - m
        var lx = max(m, (width - min(width - 2 * m, legendWidth(widths))) / 2)
        for ((text, color), textWidth) in zip(entries, widths) {
            guard lx + 13 < legendRight else { break }
            cv.fill(.init(x: lx, y: legendY - 7, width: 9, height: 9), color)
            cv.fittedText(text, at: .init(lx + 13, legendY), size: legendSize, maxWidth: legendRight - lx - 13, cutMiddle: true)
            lx += 13 + textWidth + 12
        }
        // Axes ranges.
        let peak = values.flatMap { $0 }.max() ?? 0
        let yHi0 = peak > 0 ? peak : 1
        let tickSize = 7.0
        let plotTop = legendY + 10 + (countLabels ? 8 : 0), plotBottom = height - m - 24
        let plotH = plotBottom - plotTop
        var yStep = Axis.step(0, yHi0, target: max(2, plotH / 36), integer: integerCounts)
        let yHi = (yHi0 / yStep).rounded(.up) * yStep
        yStep = Axis.step(0, yHi, target: max(2, plotH / 36), integer: integerCounts)
        let yTicks = Axis.ticks(0, yHi, step: yStep)
        let yLabels = Axis.labels(yTicks, step: yStep)
        let labelWidth = yLabels.map { cv.textWidth($0, size: tickSize) }.max() ?? 0
        let plotX = m + 15 + labelWidth + 5
        let plot = Canvas.Rect(x: plotX, y: plotTop, width: width - m - 8 - plotX, height: plotH)
        // The x axis spans the bins, plus two empty bins each side of a lone bin for context.
        let pad = bins <= 1 ? 2.0 : 0
        let xLo = s0 - pad * w, xHi = s0 + (Double(max(bins, 1)) + pad) * w
        func px(_ x: Double) -> Double { plot.x + (x - xLo) / (xHi - xLo) * plot.width }
        func py(_ y: Double) -> Double { plot.maxY - y / yHi * plot.height }
        let grid = Canvas.Stroke(.gridGrey, width: 0.5), tick = Canvas.Stroke(.black, width: 0.7)
        for (v, text) in zip(yTicks, yLabels) {
            let y = py(v)
            if v > 0 { cv.line(.init(plot.x, y), .init(plot.maxX, y), grid) }
            cv.line(.init(plot.x - 3, y), .init(plot.x, y), tick)
            cv.text(text, at: .init(plot.x - 5, y), size: tickSize, anchor: .right, baseline: .middle)
        }
        let shownYLabel = normalisePerSeries ? "% of each \(seriesKind)'s \(yLabel)" : yLabel
        cv.fittedText(shownYLabel, at: .init(m + 6, plot.y + plot.height / 2), size: 8, maxWidth: plot.height,
                      anchor: .center, baseline: .middle, rotation: 90)
        // Bars: each bin's slot holds the series side by side, 88 % of the slot.
        let slot = w / (xHi - xLo) * plot.width
        let n = Double(max(values.count, 1))
        let barW = slot * 0.88 / n
        // Count labels: level above their bars only when every one fits between its
        // neighbours' (the next bar's centre is barW away within a bin, a slot away with one
        // series); otherwise all of them upright, so that none runs into the next.
        let labelSize = 6.0
        func label(_ value: Double) -> String {
            normalisePerSeries ? String(format: value >= 10 ? "%.0f%%" : "%.1f%%", value) : Axis.compact(value)
        }
        let pitch = values.count > 1 ? barW : slot
        let level = !countLabels || values.joined().allSatisfy { $0 <= 0 || cv.textWidth(label($0), size: labelSize) <= pitch - 1 }
        for (k, v) in values.enumerated() {
            for (b, value) in v.enumerated() where value > 0 {
                let x = px(s0 + Double(b) * w) + slot * 0.06 + Double(k) * barW
                let top = py(value)
                cv.fill(.init(x: x, y: top, width: barW, height: plot.maxY - top), Self.color(k))
                if countLabels {
                    if level {
                        cv.text(label(value), at: .init(x + barW / 2, top - 2), size: labelSize, anchor: .center, color: .axisGrey)
                    } else {
                        cv.text(label(value), at: .init(x + barW / 2, top - 2), size: labelSize, anchor: .left, baseline: .middle,
                                rotation: 90, color: .axisGrey)
                    }
                }
            }
        }
        if let note = note ?? (degenerate ? "all values = \(Self.number(start))" : nil) {
            cv.fittedText(note, at: .init(plot.maxX - 4, plot.y + 8), size: 7, maxWidth: plot.width - 8,
                          anchor: .right, color: .axisGrey)
        }
        // Value axis: round ticks over the bins' span.
        let (_, xTicks, xLabels) = Axis.horizontalTicks(xLo, xHi, length: plot.width, spacing: 60, integer: false) {
            cv.textWidth($0, size: tickSize)
        }
        for (v, text) in zip(xTicks, xLabels) {
            let x = px(v)
            cv.line(.init(x, plot.maxY), .init(x, plot.maxY + 3), tick)
            cv.text(text, at: .init(x, plot.maxY + 11), size: tickSize, anchor: .center)
        }
        cv.line(.init(plot.x, plot.y), .init(plot.x, plot.maxY), .init(.black, width: 0.7))
        cv.line(.init(plot.x, plot.maxY), .init(plot.maxX, plot.maxY), .init(.black, width: 0.7))
        cv.fittedText(xLabel, at: .init(plot.x + plot.width / 2, height - m - 2), size: 8, maxWidth: plot.width, anchor: .center)
        return cv
    }

    /// Series colours: tab10, so train/val/test read blue/orange/green as in the line charts.
    public static func color(_ series: Int) -> Canvas.Color { Canvas.Color.tab10[max(0, series) % 10] }
}
