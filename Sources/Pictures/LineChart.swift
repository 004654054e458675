import Foundation

/// Curves on one or more panels (e.g. train loss | validation loss), laid out left to right
/// (wrapped into rows past `maxColumns`). Each panel has a title, ticked axes (1/2/5 steps;
/// integer steps for counts such as epochs) with labels, optional dashed grey reference
/// lines, and the series' curves with markers. One legend below names the series.
///
/// Series are identified by their index, in every panel: series `s` is `panel.series[s]`,
/// named `legend[s]`, in group `groups[s]`, drawn in `LineChart.style(s)` (colour, marker,
/// dash) in all panels, so every chart of a set matches.
///
/// Groups keep incomparable quantities off a shared axis (e.g. losses of runs trained with
/// different criteria: L1 vs SILog). Give each series its group (`groups`, e.g. the run's
/// criterion) and set `splitByGroup` on the panels whose values depend on the group: such a
/// panel is drawn as one sub-panel per group present in it ("train loss · l1", "train loss ·
/// silog"), each with its own y axis and only that group's series. Panels that do not split
/// (e.g. validation rmse, in metres for every run) show all series. `expandedPanels()` is the
/// list actually drawn. Alternatively the caller may build one panel per group itself.
public struct LineChart: Picture {
    /// A horizontal dashed grey line at `value` (e.g. the constant predictor's loss), labelled
    /// "`label` `value`" at its right end (just `label` when `appendValue` is false). With a
    /// `group`, it is drawn only in that group's sub-panel (and in panels that do not split).
    public struct ReferenceLine {
        public var value: Double
        public var label: String
        public var group: String?
        public var appendValue: Bool

        public init(value: Double, label: String, group: String? = nil, appendValue: Bool = true) {
            self.value = value; self.label = label; self.group = group; self.appendValue = appendValue
        }

        public var text: String { appendValue ? "\(label) \(String(format: "%.3g", value))" : label }
    }

    public struct Panel {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        /// One list of (x, y) per series, in legend order; empty when a series has no points
        /// here. A non-finite x or y breaks the curve there.
        public var series: [[(x: Double, y: Double)]]
        /// Whether x is a count (epochs): integer ticks.
        public var integerX: Bool
        public var references: [ReferenceLine]
        /// One sub-panel per group of the series present here (see the type's documentation).
        public var splitByGroup: Bool

        public init(title: String, xLabel: String, yLabel: String, series: [[(x: Double, y: Double)]],
                    integerX: Bool, references: [ReferenceLine] = [], splitByGroup: Bool = false) {
            self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
            self.integerX = integerX; self.references = references; self.splitByGroup = splitByGroup
        }
    }

    /// How series `s` is drawn: tab10 colour `s % 10`, marker `s % 4`, dash pattern
    /// `(s / 10) % 4` (solid, dashed, dotted, dash-dot). (colour, marker) pairs repeat only
    /// every 20 series and (colour, marker, dash) every 40, and the marker alone tells
    /// neighbours apart in greyscale print.
    public struct SeriesStyle: Equatable {
        public var color: Canvas.Color
        public var marker: Canvas.Marker
        public var dash: [Double]
    }

    public var panels: [Panel]
    /// Names of the series; a series with no point in any panel is left out of the legend
    /// (the others keep their styles).
    public var legend: [String]
    /// The group of each series (nil or missing: none); see the type's documentation.
    public var groups: [String?]
    /// Drawn above the panels when set.
    public var title: String?
    /// Size of one panel in points, labels included.
    public var panelWidth: Double
    public var panelHeight: Double
    /// Panels per row before wrapping.
    public var maxColumns: Int

    public init(panels: [Panel], legend: [String], groups: [String?] = [], title: String? = nil,
                panelWidth: Double = 210, panelHeight: Double = 165, maxColumns: Int = 3) {
        self.panels = panels; self.legend = legend; self.groups = groups; self.title = title
        self.panelWidth = panelWidth; self.panelHeight = panelHeight; self.maxColumns = max(1, maxColumns)
    }

    public static let markers: [Canvas.Marker] = [.circle, .triangle, .square, .diamond]
    public static let dashes: [[Double]] = [[], [4, 2], [1, 1.6], [5, 1.8, 1, 1.8]]

    public static func style(_ series: Int) -> SeriesStyle {
        let s = max(0, series)
        return SeriesStyle(color: Canvas.Color.tab10[s % 10], marker: markers[s % markers.count],
                           dash: dashes[(s / 10) % dashes.count])
    }

    /// The series' colour as the bitmap code's tuple (the old `LineChart.colour`).
    public static func colour(_ series: Int) -> (UInt8, UInt8, UInt8) {
        let c = style(series).color
        return (c.r, c.g, c.b)
    }

    func group(of s: Int) -> String? { s < groups.count ? groups[s] : nil }

    /// The panels as drawn: each `splitByGroup` panel replaced by one per group present in it
    /// (in order of the groups' first series), titled "title · group"; a panel with a single
    /// group stays whole.
    public func expandedPanels() -> [Panel] {
        panels.flatMap { panel -> [Panel] in
            guard panel.splitByGroup else { return [panel] }
            var present: [String] = []
            for (s, points) in panel.series.enumerated() where !points.isEmpty {
                let g = group(of: s) ?? ""
                if !present.contains(g) { present.append(g) }
            }
            guard present.count > 1 else {
                var p = panel
                p.references = panel.references.filter { $0.group == nil || $0.group == present.first }
                return [p]
            }
            return present.map { g in
                var p = panel
                p.title = "\(panel.title) · \(g.isEmpty ? "no group" : g)"
                p.series = panel.series.enumerated().map { (group(of: $0.offset) ?? "") == g ? $0.element : [] }
                p.references = panel.references.filter { $0.group == nil || $0.group == g }
                return p
            }
        }
    }

    // MARK: Layout

    static let margin = 6.0
    static let legendText = 7.5, legendRow = 11.0, legendSample = 20.0

    public func draw() -> Canvas {
        let shown = expandedPanels()
        let count = max(1, shown.count)
        let rows = (count + maxColumns - 1) / maxColumns
        let columns = (count + rows - 1) / rows
        let width = Self.margin * 2 + Double(columns) * panelWidth
        let titleHeight = title == nil ? 0.0 : 18
        let measure = Canvas(width: 1, height: 1)
        let entries = legendEntries(in: shown)
        let legend = legendLayout(entries, width: width - 2 * Self.margin, measure: measure)
        let legendHeight = entries.isEmpty ? 0 : 6 + Double(legend.rows) * Self.legendRow
        let height = Self.margin * 2 + titleHeight + Double(rows) * panelHeight + legendHeight
        let cv = Canvas(width: width, height: height)
        if let title {
            cv.fittedText(title, at: .init(width / 2, Self.margin + 11), size: 10.5, maxWidth: width - 2 * Self.margin,
                          bold: true, anchor: .center)
        }
        for (i, panel) in shown.enumerated() {
            let r = i / columns, c = i % columns
            let cell = Canvas.Rect(x: Self.margin + Double(c) * panelWidth,
                                   y: Self.margin + titleHeight + Double(r) * panelHeight,
                                   width: panelWidth, height: panelHeight)
            draw(panel, in: cell, on: cv)
        }
        // Legend: a grid of (line + marker sample, name), row by row.
        let top = Self.margin + titleHeight + Double(rows) * panelHeight + 6
        for (k, s) in entries.enumerated() {
            let x = Self.margin + Double(k % legend.columns) * legend.columnWidth
            let y = top + Double(k / legend.columns) * Self.legendRow + Self.legendRow / 2
            let st = Self.style(s)
            cv.line(.init(x, y), .init(x + Self.legendSample, y), .init(st.color, width: 1.2, dash: st.dash))
            cv.marker(st.marker, at: .init(x + Self.legendSample / 2, y), size: 4.6, fill: st.color,
                      stroke: .init(.white, width: 0.5))
            cv.fittedText(legendName(s), at: .init(x + Self.legendSample + 4, y), size: Self.legendText,
                          maxWidth: legend.columnWidth - Self.legendSample - 10, baseline: .middle, cutMiddle: true)
        }
        return cv
    }

    func legendName(_ s: Int) -> String { s < legend.count ? legend[s] : "series \(s + 1)" }

    /// Series that have a point in some panel, in order.
    func legendEntries(in shown: [Panel]) -> [Int] {
        guard !legend.isEmpty else { return [] }
        let n = max(legend.count, shown.map(\.series.count).max() ?? 0)
        return (0..<n).filter { s in shown.contains { s < $0.series.count && !$0.series[s].isEmpty } }
    }

    func legendLayout(_ entries: [Int], width: Double, measure: Canvas) -> (columns: Int, rows: Int, columnWidth: Double) {
        guard !entries.isEmpty else { return (1, 0, width) }
        let widest = entries.map { measure.textWidth(legendName($0), size: Self.legendText) }.max() ?? 0
        let natural = Self.legendSample + 4 + widest + 12
        let columns = max(1, min(entries.count, Int(width / natural)))
        let rows = (entries.count + columns - 1) / columns
        // Spread the columns over the width when they all fit on one row anyway.
        let columnWidth = columns == 1 ? width : max(natural, rows == 1 ? natural : width / Double(columns))
        return (columns, rows, min(columnWidth, width))
    }

    func draw(_ panel: Panel, in cell: Canvas.Rect, on cv: Canvas) {
        let points = panel.series.flatMap { $0 }.filter { $0.x.isFinite && $0.y.isFinite }
        let refs = panel.references.filter { $0.value.isFinite }
        let xs = points.map(\.x), ys = points.map(\.y) + refs.map(\.value)
        let xr = xs.isEmpty ? (lo: 0.0, hi: 1.0) : Axis.range(xs.min()!, xs.max()!, padding: 0.03, integer: panel.integerX)
        let yr = ys.isEmpty ? (lo: 0.0, hi: 1.0) : Axis.range(ys.min()!, ys.max()!, padding: 0.07)
        // Vertical layout: title, plot, tick labels, x label.
        let plotTop = cell.y + 17, plotBottom = cell.maxY - 26
        let plotH = plotBottom - plotTop
        let yStep = Axis.step(yr.lo, yr.hi, target: max(2, plotH / 30), integer: false)
        let yTicks = Axis.ticks(yr.lo, yr.hi, step: yStep)
        let yLabels = Axis.labels(yTicks, step: yStep)
        let tickSize = 7.0
        let labelWidth = yLabels.map { cv.textWidth($0, size: tickSize) }.max() ?? 0
        let plotX = cell.x + 15 + labelWidth + 5, plotMaxX = cell.maxX - 8
        let plot = Canvas.Rect(x: plotX, y: plotTop, width: plotMaxX - plotX, height: plotH)
        let (_, xTicks, xLabels) = Axis.horizontalTicks(xr.lo, xr.hi, length: plot.width, spacing: 38,
                                                          integer: panel.integerX) { cv.textWidth($0, size: tickSize) }
        func px(_ x: Double) -> Double { plot.x + (x - xr.lo) / (xr.hi - xr.lo) * plot.width }
        func py(_ y: Double) -> Double { plot.maxY - (y - yr.lo) / (yr.hi - yr.lo) * plot.height }

        cv.fittedText(panel.title, at: .init(plot.x + plot.width / 2, cell.y + 10), size: 9,
                      maxWidth: cell.width - 4, bold: true, anchor: .center)
        // Grid, ticks, tick labels.
        let grid = Canvas.Stroke(.gridGrey, width: 0.5), tick = Canvas.Stroke(.black, width: 0.7)
        for (v, text) in zip(yTicks, yLabels) {
            let y = py(v)
            cv.line(.init(plot.x, y), .init(plot.maxX, y), grid)
            cv.line(.init(plot.x - 3, y), .init(plot.x, y), tick)
            cv.text(text, at: .init(plot.x - 5, y), size: tickSize, anchor: .right, baseline: .middle)
        }
        for (v, text) in zip(xTicks, xLabels) {
            let x = px(v)
            cv.line(.init(x, plot.y), .init(x, plot.maxY), grid)
            cv.line(.init(x, plot.maxY), .init(x, plot.maxY + 3), tick)
            cv.text(text, at: .init(x, plot.maxY + 11), size: tickSize, anchor: .center)
        }
        cv.line(.init(plot.x, plot.y), .init(plot.x, plot.maxY), .init(.black, width: 0.7))
        cv.line(.init(plot.x, plot.maxY), .init(plot.maxX, plot.maxY), .init(.black, width: 0.7))
        cv.fittedText(panel.xLabel, at: .init(plot.x + plot.width / 2, cell.maxY - 4), size: 8,
                      maxWidth: plot.width, anchor: .center)
        cv.fittedText(panel.yLabel, at: .init(cell.x + 6, plot.y + plot.height / 2), size: 8,
                      maxWidth: plot.height, anchor: .center, baseline: .middle, rotation: 90)
        if points.isEmpty {
            cv.text("no data", at: .init(plot.x + plot.width / 2, plot.y + plot.height / 2), size: 8,
                    anchor: .center, baseline: .middle, color: .grey)
        }
        let refStroke = Canvas.Stroke(Canvas.Color(110, 110, 110), width: 0.8, dash: [4, 2.5])
        for r in refs { cv.line(.init(plot.x, py(r.value)), .init(plot.maxX, py(r.value)), refStroke) }
        // Curves, then markers on top (at most about 12 a series, staggered between series).
        cv.clip(plot) {
            for (s, series) in panel.series.enumerated() where !series.isEmpty {
                let st = Self.style(s)
                cv.polyline(series.map { .init(px($0.x), py($0.y)) }, .init(st.color, width: 1.1, dash: st.dash))
            }
            for (s, series) in panel.series.enumerated() where !series.isEmpty {
                let st = Self.style(s)
                let finite = series.filter { $0.x.isFinite && $0.y.isFinite }
                let every = max(1, Int((Double(finite.count) / 12).rounded(.up)))
                for (k, p) in finite.enumerated() where (k + s) % every == 0 || finite.count == 1 {
                    cv.marker(st.marker, at: .init(px(p.x), py(p.y)), size: 4.4, fill: st.color,
                              stroke: .init(.white, width: 0.45))
                }
            }
        }
        // Reference labels last, on a white veil so curves do not hide them.
        let refSize = 6.5
        for r in refs {
            let y = py(r.value)
            let below = y - refSize - 3 < plot.y
            let baseline = below ? y + refSize + 1.5 : y - 2.5
            let (size, text) = cv.fit(r.text, size: refSize, maxWidth: plot.width - 6, minSize: 5.5)
            let w = cv.textWidth(text, size: size)
            cv.fill(.init(x: plot.maxX - 3 - w - 1.5, y: baseline - size * 0.78, width: w + 3, height: size * 0.98),
                    Canvas.Color(255, 255, 255, alpha: 0.8))
            cv.text(text, at: .init(plot.maxX - 3, baseline), size: size, anchor: .right, color: Canvas.Color(80, 80, 80))
        }
    }
}
