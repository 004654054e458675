import Foundation
import Model
import Pictures
import Train

extension DepthPanel {
    /// The panel as a row of a prediction sheet, titled with `metrics` where the caller has
    /// the sample's figures (eval: under its evaluation protocol), else with SPEC section
    /// 5's metrics computed from the panel (the reference protocol's figures).
    public func sheetRow(label: String? = nil, metrics: DepthMetrics? = nil) -> SheetRow {
        let figures = metrics ?? gt.withUnsafeBufferPointer { g in
            pred.withUnsafeBufferPointer { p in DepthMetrics(gt: g.baseAddress!, pred: p.baseAddress!, count: min(g.count, p.count)) }
        }
        return SheetRow(id: id, gt: gt, pred: pred, size: size, metrics: figures.named, label: label)
    }
}

extension PredictionSheet {
    /// A sheet of depth panels (ground truth | prediction | error), its scale capped at
    /// `maxDepth` when the features set one, written at `url` as `formats` (PNG, SVG and PDF).
    /// A sheet of depth panels, each row titled with `labels` and `metrics` where the
    /// caller has them (see `sheetRow`).
    public init(panels: [DepthPanel], labels: [String]? = nil, metrics: [DepthMetrics]? = nil, maxDepth: Double?, title: String) {
        let rows = panels.enumerated().map { i, p in p.sheetRow(label: labels?[i], metrics: metrics?[i]) }
        self.init(rows: rows, maxDepth: maxDepth, title: title)
    }

    public static func write(_ panels: [DepthPanel], labels: [String]? = nil, metrics: [DepthMetrics]? = nil, maxDepth: Double?,
                             title: String, to url: URL, formats: PictureFormats = .all, pngScale: Double = 4) throws -> [URL] {
        try PredictionSheet(panels: panels, labels: labels, metrics: metrics, maxDepth: maxDepth, title: title)
            .write(to: url, pngScale: pngScale, formats: formats)
    }
}
