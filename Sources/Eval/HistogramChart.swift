import Foundation

/// A histogram as a PNG a person can read without the JSON: a title, bars with the count
/// axis ticked on the left, the value axis ticked below with its unit, and the number of
/// samples. Series (e.g. one per split) are drawn side by side in each bin, with a legend.
public struct HistogramChart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// The lower edge of the first bin and the width of each.
    public var start: Double
    public var binWidth: Double
    public var series: [(name: String, counts: [Double])]

    public init(title: String, xLabel: String, yLabel: String, start: Double, binWidth: Double, series: [(name: String, counts: [Double])]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.start = start
        self.binWidth = binWidth
        self.series = series
    }

    /// Bins `values` into `bins` equal bins over [lo, hi] (values outside join the end bins).
    public static func bin(_ values: [Double], lo: Double, hi: Double, bins: Int) -> [Double] {
        var out = [Double](repeating: 0, count: max(1, bins))
        let width = (hi - lo) / Double(out.count)
        for v in values where v.isFinite {
            let b = width > 0 ? Int(((v - lo) / width).rounded(.down)) : 0
            out[min(out.count - 1, max(0, b))] += 1
        }
        return out
    }

    static let palette: [(UInt8, UInt8, UInt8)] = [(59, 82, 139), (33, 145, 140), (94, 201, 98), (229, 133, 39), (180, 60, 70)]

    public func render(width: Int = 720, height: Int = 420) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        let left = 70, right = 20, top = 44, bottom = 70
        let plotW = width - left - right, plotH = height - top - bottom
        BitmapFont.draw(title, at: left, 6, on: &image)
        let bins = series.map(\.counts.count).max() ?? 0
        let peak = max(1, series.flatMap(\.counts).max() ?? 1)
        // Axes.
        for x in left...(left + plotW) { image[x, top + plotH] = (0, 0, 0) }
        for y in top...(top + plotH) { image[left, y] = (0, 0, 0) }
        // Count ticks: 0, 1/4, ... of the tallest bar.
        for k in 0...4 {
            let value = peak * Double(k) / 4
            let y = top + plotH - Int(Double(plotH) * Double(k) / 4)
            for x in (left - 4)..<left { image[x, y] = (0, 0, 0) }
            for x in stride(from: left + 1, to: left + plotW, by: 4) where k > 0 { image[x, y] = (220, 220, 220) }
            let text = value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
            BitmapFont.draw(text, at: max(0, left - 8 - BitmapFont.width(text)), y - 5, on: &image)
        }
        BitmapFont.draw(yLabel, at: 4, top - 16, on: &image)
        // Bars.
        if bins > 0 {
            let slot = Double(plotW) / Double(bins)
            for (s, serie) in series.enumerated() {
                let colour = Self.palette[s % Self.palette.count]
                for (b, count) in serie.counts.enumerated() where count > 0 {
                    let x0 = left + 1 + Int(slot * Double(b) + slot * Double(s) / Double(series.count))
                    let x1 = left + Int(slot * Double(b) + slot * Double(s + 1) / Double(series.count)) - 1
                    let h = Int(Double(plotH) * count / peak)
                    for x in x0...max(x0, x1) { for y in (top + plotH - h)..<(top + plotH) { image[x, y] = colour } }
                }
            }
            // Value ticks: about 6 labelled edges.
            let every = max(1, bins / 6)
            for b in stride(from: 0, through: bins, by: every) {
                let x = left + Int(slot * Double(b))
                for y in (top + plotH)..<(top + plotH + 5) { image[min(x, width - 1), y] = (0, 0, 0) }
                let value = start + Double(b) * binWidth
                let text = abs(value) >= 100 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2g", value)
                BitmapFont.draw(text, at: min(max(0, x - BitmapFont.width(text) / 2), width - BitmapFont.width(text)), top + plotH + 9, on: &image)
            }
        }
        BitmapFont.draw(xLabel, at: left + plotW / 2 - BitmapFont.width(xLabel) / 2, top + plotH + 30, on: &image)
        // Legend.
        var x = left + 8
        for (s, serie) in series.enumerated() where series.count > 1 {
            for dx in 0..<10 { for dy in 0..<10 { image[x + dx, top + plotH + 50 + dy] = Self.palette[s % Self.palette.count] } }
            BitmapFont.draw(serie.name, at: x + 14, top + plotH + 50, on: &image)
            x += 24 + BitmapFont.width(serie.name)
        }
        return image
    }
}
