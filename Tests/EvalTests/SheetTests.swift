import Eval
import Foundation
import Model
import Pictures
import Testing
import TestSupport
import Train

/// The pictures eval and train write: a PNG fit for a paper with its SVG and PDF beside it,
/// each row titled with SPEC's metrics of its sample, holes and depths beyond the scale
/// marked, never clipped silently.
@Suite struct SheetTests {
    @Test func aSheetIsWrittenAsPNGSVGAndPDFWithTheSamplesMetrics() throws {
        let dir = try TemporaryFolder("sheet")
        defer { dir.cleanup() }
        // 8 x 8 maps: a hole column (gt 0), predictions up to 9 m on a 5 m scale.
        let gt = (0..<64).map { i -> Float in i % 8 == 0 ? 0 : 1 + Float(i % 5) }
        let pred = (0..<64).map { i -> Float in i < 8 ? 9 : 1.5 + Float(i % 5) }
        let panel = DepthPanel(id: "val/000003", split: .val, gt: gt, pred: pred, size: 8)
        let files = try PredictionSheet.write([panel], maxDepth: 5, title: "validation, epoch 7", to: dir.file("s.png"))
        #expect(files.map(\.lastPathComponent) == ["s.png", "s.svg", "s.pdf"])
        let png = try #require(RGBImage.decode(try Data(contentsOf: files[0])))
        #expect(png.width >= 1600, "\(png.width) px: not fit for a paper")
        #expect(try Data(contentsOf: files[1]).prefix(5) == Data("<?xml".utf8) && (try Data(contentsOf: files[2])).prefix(4) == Data("%PDF".utf8))
        // The row's title carries SPEC's metrics of the sample, the sheet's title the epoch.
        let metrics = DepthMetrics(gt: gt, pred: pred, count: 64)
        let canvas = PredictionSheet(rows: [panel.sheetRow()], maxDepth: 5, title: "validation, epoch 7").draw()
        let texts = canvas.commands.compactMap { c -> String? in if case let .text(t, _, _, _, _, _, _, _) = c { return t } else { return nil } }
        #expect(texts.contains { $0.contains("val/000003") && $0.contains(String(format: "rmse %.3f", metrics.rmse)) }, "\(texts)")
        #expect(texts.contains { $0.contains("epoch 7") })
        // Beyond the scale and holes are keyed, and drawn in their colours.
        #expect(texts.contains { $0.contains("> 5 m") } && texts.contains { $0.contains("no depth") }, "\(texts)")
        var colours = Set<String>()
        for y in stride(from: 0, to: png.height, by: 2) { for x in stride(from: 0, to: png.width, by: 2) { let c = png[x, y]; colours.insert("\(c.0),\(c.1),\(c.2)") } }
        let over = PredictionSheet.overColor, hole = PredictionSheet.holeColor
        #expect(colours.contains("\(over.r),\(over.g),\(over.b)") && colours.contains("\(hole.r),\(hole.g),\(hole.b)"))
    }
}
