import Foundation
import Train

/// A picture of depth predictions: one row per sample (its id above), columns ground
/// truth | prediction | absolute error, all three on one colour scale (0 to the deepest
/// ground truth shown, at most `maxDepth` metres; viridis), invalid ground-truth pixels grey, and a colour bar with ticks below.
public enum PredictionSheet {
    static let invalid: (UInt8, UInt8, UInt8) = (128, 128, 128)

    public static func render(_ panels: [DepthPanel], maxDepth: Double, titles: [String]? = nil) -> RGBImage {
        let size = panels.first?.size ?? 1
        let zoom = max(1, 128 / max(size, 1))        // small maps are enlarged to stay readable
        let tile = size * zoom, margin = 10, gap = 6, labelHeight = 16
        let columns = ["ground truth", "prediction", "abs error"]
        let width = margin * 2 + 3 * tile + 2 * gap
        let barHeight = 14, barBlock = barHeight + 30
        let height = margin + labelHeight + panels.count * (labelHeight + tile + gap) + barBlock + margin
        var image = RGBImage(width: max(width, 200), height: height)
        for (c, name) in columns.enumerated() {
            BitmapFont.draw(name, at: margin + c * (tile + gap), margin, on: &image)
        }
        // One scale for every tile: up to the deepest valid ground truth shown (rounded up
        // to half a metre), capped by max_depth, so near rooms do not all look alike.
        let deepest = panels.flatMap(\.gt).filter { $0.isFinite }.max().map(Double.init) ?? maxDepth
        let scale = max(0.5, min(maxDepth > 0 ? maxDepth : deepest, (deepest * 2).rounded(.up) / 2))
        for (row, p) in panels.enumerated() {
            let top = margin + labelHeight + row * (labelHeight + tile + gap)
            let title = titles.flatMap { row < $0.count ? $0[row] : nil } ?? p.id
            BitmapFont.draw(title, at: margin, top, on: &image)
            let y0 = top + labelHeight
            for y in 0..<tile {
                for x in 0..<tile {
                    let i = (y / zoom) * size + x / zoom
                    guard i < p.gt.count, i < p.pred.count else { continue }
                    let g = Double(p.gt[i]), q = Double(p.pred[i])
                    let valid = g > 0
                    image[margin + x, y0 + y] = valid ? ColourMap.viridis(g / scale) : invalid
                    image[margin + tile + gap + x, y0 + y] = ColourMap.viridis(q / scale)
                    image[margin + 2 * (tile + gap) + x, y0 + y] = valid ? ColourMap.viridis(abs(g - q) / scale) : invalid
                }
            }
        }
        // Colour bar with ticks in metres.
        let barTop = height - margin - barBlock + 6, barWidth = width - 2 * margin
        for x in 0..<barWidth {
            let colour = ColourMap.viridis(Double(x) / Double(max(barWidth - 1, 1)))
            for y in 0..<barHeight { image[margin + x, barTop + y] = colour }
        }
        for k in 0...4 {
            let value = scale * Double(k) / 4
            let x = margin + Int(Double(barWidth - 1) * Double(k) / 4)
            for y in 0..<4 { image[x, barTop + barHeight + y] = (0, 0, 0) }
            let text = String(format: value >= 10 ? "%.0f" : "%.1f", value) + (k == 4 ? " m" : "")
            let w = BitmapFont.width(text)
            BitmapFont.draw(text, at: min(max(x - w / 2, 0), image.width - w), barTop + barHeight + 6, on: &image)
        }
        return image
    }

    public static func write(_ panels: [DepthPanel], maxDepth: Double, titles: [String]? = nil, to url: URL) throws {
        try render(panels, maxDepth: maxDepth, titles: titles).write(to: url)
    }
}
