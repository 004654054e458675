import Foundation
import Support

/// Something drawn on a `Canvas`: a chart or a sheet. `write(to:)` renders it three ways.
public protocol Picture {
    /// The picture as a display list in points (a fresh canvas on every call).
    func draw() -> Canvas
}

extension Picture {
    /// Writes `<base>.png` (at `pngScale` pixels per point; 4 makes a 420-pt sheet 1680 px wide,
    /// about 400 dpi at its natural size), `<base>.svg` and `<base>.pdf`, and returns the three
    /// URLs in that order. A base ending in .png, .svg or .pdf loses that extension first, so
    /// the old callers' names ("loss.png") keep working.
    public func write(to base: URL, pngScale: Double = 4, formats: PictureFormats = .all) throws -> [URL] {
        try draw().writeAll(to: base, pngScale: pngScale, formats: formats)
    }
}

/// The files a picture is written as: PNG (TensorBoard, W&B, a quick look), and SVG and PDF
/// for a paper. Pictures drawn every epoch of training are PNG alone: the vector files cost
/// twice the PNG's time, which on a small model is most of an epoch.
public struct PictureFormats: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let png = PictureFormats(rawValue: 1), svg = PictureFormats(rawValue: 2), pdf = PictureFormats(rawValue: 4)
    public static let all: PictureFormats = [.png, .svg, .pdf]
}

extension Canvas {
    /// As `write(to:pngScale:)`, but returns the files written (in the order PNG, SVG, PDF).
    public func writeAll(to base: URL, pngScale: Double = 4, formats: PictureFormats = .all) throws -> [URL] {
        let stem = ["png", "svg", "pdf"].contains(base.pathExtension.lowercased()) ? base.deletingPathExtension() : base
        var files: [URL] = []
        func save(_ ext: String, _ data: () throws -> Data) throws {
            let url = stem.appendingPathExtension(ext)
            try writeFile(try data(), to: url)  // atomic, its folder made, the path named on failure
            files.append(url)
        }
        if formats.contains(.png) { try save("png") { try pngData(scale: pngScale) } }
        if formats.contains(.svg) { try save("svg") { try svgData() } }
        if formats.contains(.pdf) { try save("pdf") { try pdfData() } }
        return files
    }

    /// Draws `string` no wider than `maxWidth`: first shrunk (down to `minSize`), then cut
    /// with an ellipsis, at the end or (`cutMiddle`, for names that differ at their end, such
    /// as run names) in the middle. Returns the size used.
    @discardableResult
    func fittedText(_ string: String, at: Point, size: Double, maxWidth: Double, minSize: Double? = nil,
                    bold: Bool = false, anchor: Anchor = .left, baseline: Baseline = .alphabetic,
                    rotation: Double = 0, color: Color = .black, cutMiddle: Bool = false) -> Double {
        let (s, fitted) = fit(string, size: size, maxWidth: maxWidth, minSize: minSize ?? size * 0.8, bold: bold,
                              cutMiddle: cutMiddle)
        text(fitted, at: at, size: s, bold: bold, anchor: anchor, baseline: baseline, rotation: rotation, color: color)
        return s
    }

    func fit(_ string: String, size: Double, maxWidth: Double, minSize: Double, bold: Bool = false,
             cutMiddle: Bool = false) -> (Double, String) {
        let w = textWidth(string, size: size, bold: bold)
        if w <= maxWidth { return (size, string) }
        let shrunk = max(minSize, size * maxWidth / w * 0.999)
        if textWidth(string, size: shrunk, bold: bold) <= maxWidth { return (shrunk, string) }
        let chars = Array(string)
        func cut(_ keep: Int) -> String {
            if !cutMiddle { return String(chars.prefix(keep)) + "…" }
            let tail = keep / 2, head = keep - tail
            return String(chars.prefix(head)) + "…" + String(chars.suffix(tail))
        }
        var keep = chars.count - 1
        while keep > 1 && textWidth(cut(keep), size: shrunk, bold: bold) > maxWidth { keep -= 1 }
        return (shrunk, cut(keep))
    }
}

/// Round axis ranges, tick steps of 1, 2 or 5 times a power of ten, and their labels.
enum Axis {
    /// The 1/2/5 step nearest to `raw` on a log scale (an integer >= 1 when `integer`).
    static func niceStep(_ raw: Double, integer: Bool = false) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.min { abs(log($0 / raw)) < abs(log($1 / raw)) }!
        return integer ? max(1, step.rounded()) : step
    }

    /// The 1/2/5 step nearest below `raw`.
    static func niceStepBelow(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        return [5.0, 2, 1].map { $0 * power }.first { $0 <= raw * (1 + 1e-9) } ?? power
    }

    /// Whether [lo, hi] is a single value for plotting purposes.
    static func isDegenerate(_ lo: Double, _ hi: Double) -> Bool {
        !(hi > lo) || (hi - lo) <= 1e-9 * max(abs(lo), abs(hi))
    }

    /// A range that shows `lo...hi` with `padding` (a fraction of the span) on each side. A
    /// single value v gets v ± 10 % of |v| (± 1 at 0; at least ± 1 for integer axes), so
    /// constant curves sit in the middle of a readable axis instead of breaking it.
    static func range(_ lo: Double, _ hi: Double, padding: Double, integer: Bool = false,
                      floorAtZero: Bool = false) -> (lo: Double, hi: Double) {
        guard lo.isFinite, hi.isFinite else { return (0, 1) }
        var (a, b) = (lo, hi)
        if isDegenerate(a, b) {
            let v = a
            var pad = v == 0 ? 1 : abs(v) * 0.1
            if integer { pad = max(pad, 1) }
            (a, b) = (v - pad, v + pad)
        } else {
            let pad = (b - a) * padding
            (a, b) = (a - pad, b + pad)
        }
        if floorAtZero && lo >= 0 && a < 0 { a = 0 }
        return (a, b)
    }

    /// Tick values on multiples of `step` inside [lo, hi].
    static func ticks(_ lo: Double, _ hi: Double, step: Double) -> [Double] {
        guard step > 0, hi >= lo, lo.isFinite, hi.isFinite else { return [] }
        var out: [Double] = []
        var k = (lo / step - 1e-9).rounded(.up)
        while k * step <= hi + step * 1e-9 && out.count < 100 {
            let v = k * step
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            k += 1
        }
        return out
    }

    /// About `target` ticks over [lo, hi].
    static func step(_ lo: Double, _ hi: Double, target: Double, integer: Bool) -> Double {
        niceStep((hi - lo) / max(1, target), integer: integer)
    }

    /// Ticks and labels for a horizontal axis `length` points long: about one every
    /// `spacing` points, the step raised (1, 2, 5, 10, ...) until no two labels touch.
    static func horizontalTicks(_ lo: Double, _ hi: Double, length: Double, spacing: Double, integer: Bool,
                                width: (String) -> Double) -> (step: Double, ticks: [Double], labels: [String]) {
        var step = self.step(lo, hi, target: max(2, length / spacing), integer: integer)
        for _ in 0..<12 {
            let ticks = self.ticks(lo, hi, step: step), labels = self.labels(ticks, step: step)
            let gap = step / (hi - lo) * length
            if ticks.count < 2 || (labels.map(width).max() ?? 0) + 6 <= gap { return (step, ticks, labels) }
            let mantissa = step / pow(10, log10(step).rounded(.down))
            step *= mantissa < 1.5 ? 2 : mantissa < 3 ? 2.5 : 2          // 1 -> 2 -> 5 -> 10
        }
        let ticks = self.ticks(lo, hi, step: step)
        return (step, ticks, labels(ticks, step: step))
    }

    /// Tick labels with just the digits `step` needs, U+2212 for minus; when the values reach
    /// ten thousand (a million), all of an axis' labels count thousands as k (millions as M),
    /// and 0 stays "0".
    static func labels(_ values: [Double], step: Double) -> [String] {
        let big = max(values.map(abs).max() ?? 0, step)
        let (divisor, suffix) = big >= 1e6 && step >= 1e5 ? (1e6, "M") : big >= 1e4 && step >= 1e3 ? (1e3, "k") : (1, "")
        let s = step / divisor
        let decimals = max(0, min(8, Int((-log10(s) - 1e-9).rounded(.up))))
        return values.map { v in
            if abs(v) < step * 1e-9 { return suffix.isEmpty ? String(format: "%.\(decimals)f", 0.0) : "0" }
            return String(format: "%.\(decimals)f", v / divisor).replacingOccurrences(of: "-", with: "\u{2212}") + suffix
        }
    }


    /// A compact count: 812, 12.3k, 4.56M.
    static func compact(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e6 { return String(format: "%.3gM", v / 1e6) }
        if a >= 1e4 { return String(format: "%.3gk", v / 1e3) }
        if v == v.rounded() { return String(format: "%.0f", v) }
        return String(format: "%.3g", v)
    }
}

extension Canvas.Color {
    /// Matplotlib's tab10: ten colours told apart at a glance.
    public static let tab10: [Canvas.Color] = [
        .init(31, 119, 180), .init(255, 127, 14), .init(44, 160, 44), .init(214, 39, 40), .init(148, 103, 189),
        .init(140, 86, 75), .init(227, 119, 194), .init(127, 127, 127), .init(188, 189, 34), .init(23, 190, 207),
    ]
    static let axisGrey = Canvas.Color(90, 90, 90)
    static let gridGrey = Canvas.Color(228, 228, 228)
}
