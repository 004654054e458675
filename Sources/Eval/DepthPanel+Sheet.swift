import Foundation
import Model
import Pictures
import Train

extension DepthPanel {
    /// The panel as a row of a prediction sheet, with its metrics as SPEC section 5
    /// computes them (the figures the reports give for the same sample).
    public func sheetRow(label: String? = nil) -> SheetRow {
        let metrics = gt.withUnsafeBufferPointer { g in
            pred.withUnsafeBufferPointer { p in DepthMetrics(gt: g.baseAddress!, pred: p.baseAddress!, count: min(g.count, p.count)) }
        }
        return SheetRow(id: id, gt: gt, pred: pred, size: size, metrics: metrics.named, label: label)
    }
}

extension PredictionSheet {
    /// A sheet of depth panels (ground truth | prediction | error), its scale capped at
    /// `maxDepth` when the features set one, written at `url` as `formats` (PNG, SVG and PDF).
    public static func write(_ panels: [DepthPanel], labels: [String]? = nil, maxDepth: Double?, title: String,
                             to url: URL, formats: PictureFormats = .all, pngScale: Double = 4) throws -> [URL] {
        let rows = panels.enumerated().map { i, p in p.sheetRow(label: labels.map { $0[i] }) }
        return try PredictionSheet(rows: rows, maxDepth: maxDepth, title: title).write(to: url, pngScale: pngScale, formats: formats)
    }
}
