import Foundation
@testable import Pictures
import Testing

/// Every coordinate of a display list, to check nothing is NaN or infinite.
private func coordinates(_ cv: Canvas) -> [Double] {
    cv.commands.flatMap { c -> [Double] in
        switch c {
        case let .fill(r, _), let .image(_, r), let .pushClip(r): return [r.x, r.y, r.width, r.height]
        case let .path(p, _, _, _): return p.flatMap { [$0.x, $0.y] }
        case let .marker(_, p, size, _, _): return [p.x, p.y, size]
        case let .text(_, p, size, _, _, _, _, _): return [p.x, p.y, size]
        case .popClip: return []
        }
    }
}

private func allFinite(_ cv: Canvas) -> Bool { coordinates(cv).allSatisfy { $0.isFinite } }

private func texts(_ cv: Canvas) -> [String] {
    cv.commands.compactMap { if case let .text(s, _, _, _, _, _, _, _) = $0 { return s } else { return nil } }
}

private func twelveRuns() -> LineChart {
    var series: [[(x: Double, y: Double)]] = []
    for s in 0..<12 {
        series.append((1...10).map { (e: Int) -> (x: Double, y: Double) in (Double(e), 1 / Double(e) + Double(s) * 0.05) })
    }
    return LineChart(panels: [
        .init(title: "Train loss", xLabel: "epoch", yLabel: "loss", series: series, integerX: true,
              references: [.init(value: 1.66, label: "constant predictor")]),
        .init(title: "Validation loss", xLabel: "epoch", yLabel: "loss", series: series, integerX: true),
    ], legend: (0..<12).map { "run \($0)" })
}

@Suite struct LineChartTests {
    @Test func twelveSeriesHaveDistinctColourAndMarker() {
        let styles = (0..<12).map { LineChart.style($0) }
        #expect(Set(styles.map { "\($0.color.r),\($0.color.g),\($0.color.b),\($0.marker)" }).count == 12)
        #expect(Set((0..<20).map { "\(LineChart.style($0).color.r),\(LineChart.style($0).color.g),\(LineChart.style($0).color.b),\(LineChart.style($0).marker)" }).count == 20)
        // And they are really drawn: the markers in the display list come in 12 (colour, shape) pairs.
        let cv = twelveRuns().draw()
        var pairs = Set<String>()
        for case let .marker(shape, _, _, fill?, _) in cv.commands { pairs.insert("\(fill.r),\(fill.g),\(fill.b),\(shape)") }
        #expect(pairs.count == 12)
        #expect(LineChart.colour(3) == (214, 39, 40))
    }

    @Test func referenceLineIsDashedGreyWithItsLabel() throws {
        let cv = twelveRuns().draw()
        #expect(texts(cv).contains("constant predictor 1.66"))
        let dashedGreyHorizontal = cv.commands.filter {
            if case let .path(p, false, nil, stroke?) = $0 {
                return p.count == 2 && p[0].y == p[1].y && !stroke.dash.isEmpty && stroke.color.r == stroke.color.g
                    && stroke.color.g == stroke.color.b && stroke.color.r < 200
            }
            return false
        }
        #expect(dashedGreyHorizontal.count == 1, "only the panel given the reference draws it")
    }

    @Test func constantValuesGiveAReadableAxis() {
        let chart = LineChart(panels: [
            .init(title: "flat", xLabel: "epoch", yLabel: "δ1", series: [(1...5).map { (Double($0), 0.5) }], integerX: true),
            .init(title: "one point", xLabel: "epoch", yLabel: "loss", series: [[(1, 0)]], integerX: true),
            .init(title: "empty", xLabel: "epoch", yLabel: "loss", series: [[]], integerX: true),
        ], legend: ["a"])
        let cv = chart.draw()
        #expect(allFinite(cv))
        let t = texts(cv)
        #expect(t.contains("0.50") || t.contains("0.5"), "\(t)")
        #expect(["1", "2", "3", "4", "5"].allSatisfy(t.contains) && !t.contains("1.5"), "integer x ticks: \(t)")
        #expect(t.contains("no data"))
    }

    @Test func nonFiniteValuesBreakTheCurve() {
        let chart = LineChart(panels: [.init(title: "t", xLabel: "x", yLabel: "y",
                                             series: [[(1, 1), (2, 2), (3, .nan), (4, 1), (5, .infinity), (6, 2), (7, 3)]], integerX: true)],
                              legend: [])
        let cv = chart.draw()
        let curves = cv.commands.filter {
            if case let .path(_, false, nil, stroke?) = $0 { return stroke.color == LineChart.style(0).color && stroke.width > 1 }
            return false
        }
        #expect(curves.count == 2)         // (1,2) and (6,7); (4) alone draws no segment
        #expect(allFinite(cv))
    }

    @Test func panelsSplitByGroup() {
        let series: [[(x: Double, y: Double)]] = [[(1, 1)], [(1, 5)], [(1, 2)], []]
        let chart = LineChart(panels: [
            .init(title: "Train loss", xLabel: "epoch", yLabel: "loss", series: series, integerX: true,
                  references: [.init(value: 3, label: "const", group: "silog")], splitByGroup: true),
            .init(title: "rmse", xLabel: "epoch", yLabel: "m", series: series, integerX: true),
        ], legend: ["a", "b", "c", "d"], groups: ["l1", "silog", "l1", "silog"])
        let shown = chart.expandedPanels()
        #expect(shown.map(\.title) == ["Train loss · l1", "Train loss · silog", "rmse"])
        #expect(shown[0].series.map(\.count) == [1, 0, 1, 0] && shown[1].series.map(\.count) == [0, 1, 0, 0])
        #expect(shown[0].references.isEmpty && shown[1].references.count == 1)
        #expect(allFinite(chart.draw()))
    }

    @Test func ticksAreNice() {
        #expect(Axis.niceStep(0.24) == 0.2 && Axis.niceStep(3.7, integer: true) == 5 && Axis.niceStep(0.3, integer: true) == 1)
        #expect(Axis.ticks(0.43, 20.57, step: 5) == [5, 10, 15, 20])
        #expect(Axis.labels([0, 500_000, 1_000_000], step: 500_000) == ["0", "0.5M", "1.0M"])
        #expect(Axis.labels([-0.5, 0, 0.5], step: 0.5) == ["\u{2212}0.5", "0.0", "0.5"])
        #expect(Axis.labels([1, 2], step: 1) == ["1", "2"])
        // Labels 30 pt wide on a 100-pt axis from 0 to 10: steps of 1 or 2 would overlap them.
        let crowded = Axis.horizontalTicks(0, 10, length: 100, spacing: 10, integer: true) { _ in 30 }
        #expect(crowded.step == 5 && crowded.labels == ["0", "5", "10"])
    }
}

@Suite struct HistogramChartTests {
    @Test func perSplitNormalisationMakesSplitsComparable() {
        let chart = HistogramChart(title: "t", xLabel: "x", yLabel: "recordings", start: 0, binWidth: 1,
                                   series: [("train", [600, 400]), ("val", [6, 4])], normalisePerSeries: true)
        let bars = chart.draw().commands.compactMap { c -> (Canvas.Color, Double)? in
            if case let .fill(r, color) = c, color != .white, r.height > 0, r.width < 100 { return (color, r.height) } else { return nil }
        }.filter { $0.0 == HistogramChart.color(0) || $0.0 == HistogramChart.color(1) }
        #expect(bars.count == 4 + 2)     // four bars and two legend swatches
        let train = bars.filter { $0.0 == HistogramChart.color(0) }.map(\.1).sorted()
        let val = bars.filter { $0.0 == HistogramChart.color(1) }.map(\.1).sorted()
        #expect(abs(train[1] - val[1]) < 1e-9 && abs(train[2] - val[2]) < 1e-9)
        #expect(texts(chart.draw()).contains("train (n = 1000)"))
    }

    @Test func equalValuesDoNotBreakTheAxis() {
        let binned = HistogramChart.binned(title: "t", xLabel: "x", yLabel: "n", series: [("a", [1, 1, 1])], bins: 30)
        #expect(binned.binWidth == 0.1 && binned.series[0].counts == [3])
        let old = HistogramChart(title: "t", xLabel: "x", yLabel: "n", start: 0.125, binWidth: 1e-9 / 30,
                                 series: [("a", HistogramChart.bin([0.125, 0.125], lo: 0.125, hi: 0.125 + 1e-9, bins: 30))])
        for chart in [binned, old] {
            let cv = chart.draw()
            #expect(allFinite(cv))
            #expect(texts(cv).contains { $0.hasPrefix("all values = ") }, "\(texts(cv))")
            #expect(Set(texts(cv)).count == texts(cv).count, "tick labels repeat: \(texts(cv))")
        }
    }

    @Test func countsGetIntegerTicksAndLabels() {
        let chart = HistogramChart(title: "t", xLabel: "depth (m)", yLabel: "pixels", start: 0, binWidth: 1,
                                   series: [("all", [1, 3, 2])], countLabels: true)
        let cv = chart.draw()
        let yTicks = cv.commands.compactMap { c -> String? in
            if case let .text(s, _, _, _, .right, .middle, 0, _) = c { return s } else { return nil }
        }
        #expect(yTicks == ["0", "1", "2", "3"], "\(yTicks)")
        #expect(texts(cv).contains("3") && texts(cv).contains("all (n = 6)"))
    }

    /// The dataset card's depth histogram: 26 bins, counts from 15.1M down to 11.4k. Labels
    /// of the small tail bars ("933k", "813k", ...) used to be drawn level where each fitted
    /// its own bar plus 4 points and ran into one another; now the labels share one
    /// orientation, and level ones never overlap.
    @Test func countLabelsNeverRunIntoEachOther() {
        let tail: [Double] = [15.1e6, 50.9e6, 47.6e6, 35.9e6, 30.7e6, 23.3e6, 16.9e6, 12.7e6, 7.64e6, 5.94e6, 4.57e6, 4.01e6, 4.25e6,
                              2.92e6, 2.14e6, 1.83e6, 1.19e6, 933e3, 813e3, 565e3, 396e3, 244e3, 107e3, 200e3, 31.1e3, 11.4e3]
        for counts in [tail, [1, 3, 2], Array(tail.suffix(9))] {
            let chart = HistogramChart(title: "t", xLabel: "depth (m)", yLabel: "pixels", start: 0, binWidth: 0.5,
                                       series: [("all", counts)], countLabels: true)
            let cv = chart.draw()
            let labels = cv.commands.compactMap { c -> (String, Double, Double)? in
                if case let .text(s, at, 6.0, false, _, _, rotation, .axisGrey) = c { return (s, at.x, rotation) } else { return nil }
            }
            #expect(labels.count == counts.count, "\(labels)")
            #expect(Set(labels.map(\.2)).count == 1, "one orientation: \(labels)")
            if labels.first?.2 == 0 {
                let spans = labels.map { ($0.1 - cv.textWidth($0.0, size: 6) / 2, $0.1 + cv.textWidth($0.0, size: 6) / 2) }.sorted { $0.0 < $1.0 }
                for (a, b) in zip(spans, spans.dropFirst()) { #expect(a.1 <= b.0, "level labels overlap: \(labels)") }
            }
        }
    }
}

@Suite struct PredictionSheetTests {
    func raster(_ cv: Canvas, _ k: Int) -> Canvas.Raster {
        cv.commands.compactMap { if case let .image(r, _) = $0, r.height > 1 { return r } else { return nil } }[k]
    }
    func pixel(_ r: Canvas.Raster, _ i: Int) -> Canvas.Color { Canvas.Color(r.pixels[3 * i], r.pixels[3 * i + 1], r.pixels[3 * i + 2]) }

    @Test func beyondTheScaleIsMagentaAndHolesGrey() {
        let row = SheetRow(id: "val/7", gt: [0, .nan, 2, 4], pred: [1, 2, 7, -1], size: 2, metrics: ["rmse": 3.54, "abs_rel": 1.25, "delta1": 0])
        let sheet = PredictionSheet(rows: [row], maxDepth: 5, epoch: 3)
        #expect(sheet.depthScaleTop == 5)
        let cv = sheet.draw()
        let gt = raster(cv, 0), pred = raster(cv, 1), err = raster(cv, 2)
        #expect(pixel(gt, 0) == PredictionSheet.holeColor && pixel(gt, 1) == PredictionSheet.holeColor)
        #expect(pixel(err, 0) == PredictionSheet.holeColor && pixel(err, 1) == PredictionSheet.holeColor)
        #expect(pixel(pred, 2) == PredictionSheet.overColor, "7 m on a 0-5 m scale is not clipped to yellow")
        #expect(pixel(pred, 3) == PredictionSheet.underColor)
        #expect(pixel(gt, 2) == Canvas.Color(ColourMap.viridis(2.0 / 5)))
        #expect(pixel(pred, 0) == Canvas.Color(ColourMap.viridis(1.0 / 5)), "predictions over holes are drawn")
        let t = texts(cv)
        #expect(t.contains("> 5 m") && t.contains("no depth") && t.contains("< 0 m"))
        #expect(t.contains { $0.hasPrefix("Predictions · epoch 3") })
        #expect(t.contains { $0.hasPrefix("val/7: rmse ") && $0.contains("abs_rel") && $0.contains("δ1") }, "\(t)")
    }

    @Test func scaleCoversTheDeepestPixelWhenUncapped() {
        let row = SheetRow(id: "a", gt: [1, 3.2], pred: [4.6, 2], size: 1, metrics: ["rmse": 0.4123, "abs_rel": 0.0834, "delta1": 0.912])
        #expect(PredictionSheet(rows: [row]).depthScaleTop == 5)
        #expect(PredictionSheet(rows: [row], maxDepth: 10).depthScaleTop == 5)
        #expect(PredictionSheet(rows: [row], maxDepth: 4).depthScaleTop == 4)
        #expect(PredictionSheet.describe(row.metrics) == "rmse 0.412 m, abs_rel 0.083, δ1 0.91")
    }
}

@Suite struct OutputTests {
    @Test func fontIsDejaVuSans() { #expect(Canvas.fontIsDejaVuSans()) }

    @Test func writesThreeDeterministicFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pictures-test-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let chart = twelveRuns()
        let urls = try chart.write(to: dir.appendingPathComponent("loss.png"), pngScale: 1)
        #expect(urls.map(\.lastPathComponent) == ["loss.png", "loss.svg", "loss.pdf"])
        let first = try urls.map { try Data(contentsOf: $0) }
        let again = try chart.write(to: dir.appendingPathComponent("loss"), pngScale: 1)
        #expect(try again.map { try Data(contentsOf: $0) } == first)
        #expect(first[0].prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]) && first[2].prefix(4) == Data("%PDF".utf8))
        // Training's per-epoch pictures: the PNG alone, the same bytes as the full set's.
        let pngOnly = try chart.write(to: dir.appendingPathComponent("epoch"), pngScale: 1, formats: .png)
        let pngBytes = try Data(contentsOf: pngOnly[0])
        #expect(pngOnly.map(\.lastPathComponent) == ["epoch.png"] && pngBytes == first[0])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("epoch.svg").path))
        // A folder not made yet (`batvision sheet --out new/dir/fig`) is made, as for every
        // other file the tool writes.
        let nested = try chart.write(to: dir.appendingPathComponent("new/dir/fig"), pngScale: 1, formats: .png)
        #expect(try Data(contentsOf: nested[0]) == first[0])
    }
}
