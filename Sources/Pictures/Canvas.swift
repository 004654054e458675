import CCairo
import Foundation

/// A resolution-independent drawing in points (1/72 in; origin top left, y down), recorded
/// as a display list and replayed onto Cairo surfaces: PNG (any scale), SVG and PDF, so all
/// three show the same picture. Text is DejaVu Sans through Cairo's toy font API,
/// unhinted with unhinted metrics, so text widths and positions are the same at every scale
/// and in every format. Not thread-safe (one canvas per thread); different canvases may be
/// drawn and rendered on different threads.
public final class Canvas {
    public struct Point: Equatable {
        public var x, y: Double
        public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    public struct Rect: Equatable {
        public var x, y, width, height: Double
        public init(x: Double, y: Double, width: Double, height: Double) {
            self.x = x; self.y = y; self.width = width; self.height = height
        }
        public var maxX: Double { x + width }
        public var maxY: Double { y + height }
    }

    public struct Color: Equatable {
        public var r, g, b: UInt8
        public var alpha: Double
        public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, alpha: Double = 1) {
            self.r = r; self.g = g; self.b = b; self.alpha = alpha
        }
        /// From the (r, g, b) tuples the bitmap code uses (palettes, ColourMap).
        public init(_ rgb: (UInt8, UInt8, UInt8), alpha: Double = 1) { self.init(rgb.0, rgb.1, rgb.2, alpha: alpha) }
        public static let black = Color(0, 0, 0), white = Color(255, 255, 255)
        public static let grey = Color(128, 128, 128)
    }

    public struct Stroke: Equatable {
        public var color: Color
        public var width: Double
        /// On/off lengths in points; empty is solid.
        public var dash: [Double]
        public init(_ color: Color, width: Double = 1, dash: [Double] = []) {
            self.color = color; self.width = width; self.dash = dash
        }
    }

    public enum Marker: Equatable { case circle, square, triangle, diamond }
    public enum Anchor: Equatable { case left, center, right }
    /// Where `at.y` falls on the text: its baseline, the middle of its capitals, or their top.
    public enum Baseline: Equatable { case alphabetic, middle, top }

    /// An 8-bit RGB picture (row-major, 3 bytes a pixel), drawn with nearest-neighbour scaling.
    public struct Raster: Equatable {
        public var width, height: Int
        public var pixels: [UInt8]
        public init(width: Int, height: Int, pixels: [UInt8]) {
            precondition(pixels.count == width * height * 3, "Raster needs width*height*3 bytes")
            self.width = width; self.height = height; self.pixels = pixels
        }
    }

    public enum Command: Equatable {
        case fill(Rect, Color)
        case path([Point], closed: Bool, fill: Color?, stroke: Stroke?)
        case marker(Marker, Point, size: Double, fill: Color?, stroke: Stroke?)
        case text(String, Point, size: Double, bold: Bool, anchor: Anchor, baseline: Baseline, rotation: Double, color: Color)
        case image(Raster, Rect)
        case pushClip(Rect)
        case popClip
    }

    public enum Failure: Error, CustomStringConvertible {
        case cairo(String)
        public var description: String {
            switch self { case .cairo(let s): return "cairo: \(s)" }
        }
    }

    public static let fontFamily = "DejaVu Sans"

    public let width: Double
    public let height: Double
    /// Painted first in every format (nil: transparent SVG/PDF, and white PNG).
    public var background: Color? = .white
    public private(set) var commands: [Command] = []
    /// Device pixels per point that images are enlarged to (whole factors, at most 16) in SVG and PDF.
    public var vectorImageResolution = 4.0
    private var scratch: OpaquePointer?          // cairo_t on a 1x1 surface, for measuring

    public init(width: Double, height: Double) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
    }

    deinit {
        if let cr = scratch { cairo_destroy(cr) }                 // the context's own reference to the surface
        if let s = scratchSurface { cairo_surface_destroy(s) }    // ours, from cairo_image_surface_create
    }
    private var scratchSurface: OpaquePointer?

    // MARK: Drawing

    public func fill(_ rect: Rect, _ color: Color) { commands.append(.fill(rect, color)) }

    public func stroke(_ rect: Rect, _ stroke: Stroke) {
        let p = [Point(rect.x, rect.y), Point(rect.maxX, rect.y), Point(rect.maxX, rect.maxY), Point(rect.x, rect.maxY)]
        commands.append(.path(p, closed: true, fill: nil, stroke: stroke))
    }

    public func line(_ a: Point, _ b: Point, _ stroke: Stroke) {
        commands.append(.path([a, b], closed: false, fill: nil, stroke: stroke))
    }

    /// A curve through the points; a non-finite point breaks it.
    public func polyline(_ points: [Point], _ stroke: Stroke) {
        var run: [Point] = []
        func flush() { if run.count > 1 { commands.append(.path(run, closed: false, fill: nil, stroke: stroke)) }; run = [] }
        for p in points {
            if p.x.isFinite && p.y.isFinite { run.append(p) } else { flush() }
        }
        flush()
    }

    /// A marker `size` points across, centred on `at`.
    public func marker(_ shape: Marker, at: Point, size: Double, fill: Color?, stroke: Stroke? = nil) {
        commands.append(.marker(shape, at, size: size, fill: fill, stroke: stroke))
    }

    /// `rotation` in degrees, counter-clockwise (90: reads bottom to top, for a y-axis label),
    /// about `at`.
    public func text(_ string: String, at: Point, size: Double, bold: Bool = false, anchor: Anchor = .left,
                     baseline: Baseline = .alphabetic, rotation: Double = 0, color: Color = .black) {
        commands.append(.text(string, at, size: size, bold: bold, anchor: anchor, baseline: baseline,
                              rotation: rotation, color: color))
    }

    /// Advance width in points of `string` as `text` draws it (the same in every format).
    public func textWidth(_ string: String, size: Double, bold: Bool = false) -> Double {
        let cr = scratchContext()
        Self.setFont(cr, size: size, bold: bold)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, string, &e)
        return e.x_advance
    }

    public func image(_ raster: Raster, in rect: Rect) { commands.append(.image(raster, rect)) }

    /// Draws what `body` draws clipped to `rect`.
    public func clip(_ rect: Rect, _ body: () -> Void) {
        commands.append(.pushClip(rect))
        body()
        commands.append(.popClip)
    }

    // MARK: Output

    /// A PNG (8-bit RGB, no alpha) of `width * scale` x `height * scale` pixels (rounded up).
    public func pngData(scale: Double = 4) throws -> Data {
        let w = Int32((width * scale).rounded(.up)), h = Int32((height * scale).rounded(.up))
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h) else { throw Failure.cairo("no surface") }
        defer { cairo_surface_destroy(surface) }
        try check(cairo_surface_status(surface))      // e.g. INVALID_SIZE past 32767 px: an error surface, never NULL
        try draw(on: surface, scale: scale, opaque: true, pixelsPerPoint: nil)
        let sink = DataSink()
        let status = withExtendedLifetime(sink) {
            cairo_surface_write_to_png_stream(surface, appendToSink, Unmanaged.passUnretained(sink).toOpaque())
        }
        try check(status)
        return sink.data
    }

    public func svgData() throws -> Data {
        let raw = try vectorData { write, closure in
            let s = cairo_svg_surface_create_for_stream(write, closure, self.width, self.height)
            cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1)
            return s
        }
        return Self.renumberSVGIDs(raw)
    }

    /// Cairo 1.16 names `<image id="imageN">` and `<g id="surfaceN">` after its process-wide
    /// surface counter, so the same drawing gives different bytes on a second render. Renumber
    /// them 1, 2, ... in order of appearance (one pass: no clash with numbers not yet replaced).
    static func renumberSVGIDs(_ data: Data) -> Data {
        guard let text = String(data: data, encoding: .utf8),
              let regex = try? NSRegularExpression(pattern: #"(id="|#)(image|surface)([0-9]+)\b"#) else { return data }
        let ns = text as NSString
        var out = "", last = 0, map: [String: Int] = [:], next: [String: Int] = [:]
        for m in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let kind = ns.substring(with: m.range(at: 2)), key = kind + ns.substring(with: m.range(at: 3))
            let n = map[key] ?? { let v = (next[kind] ?? 0) + 1; next[kind] = v; map[key] = v; return v }()
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            out += ns.substring(with: m.range(at: 1)) + kind + String(n)
            last = m.range.location + m.range.length
        }
        out += ns.substring(from: last)
        return Data(out.utf8)
    }

    public func pdfData() throws -> Data {
        try vectorData { write, closure in
            let s = cairo_pdf_surface_create_for_stream(write, closure, self.width, self.height)
            // Without this Cairo stamps the current time in /CreationDate: bytes differ run to run.
            cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "batvision")
            cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z")
            return s
        }
    }

    // MARK: Replay

    private func vectorData(_ make: (cairo_write_func_t, UnsafeMutableRawPointer) -> OpaquePointer?) throws -> Data {
        let sink = DataSink()
        try withExtendedLifetime(sink) {
            guard let surface = make(appendToSink, Unmanaged.passUnretained(sink).toOpaque()) else {
                throw Failure.cairo("no surface")
            }
            defer { cairo_surface_destroy(surface) }
            try check(cairo_surface_status(surface))
            try draw(on: surface, scale: 1, opaque: false, pixelsPerPoint: vectorImageResolution)
            cairo_surface_finish(surface)            // writes the document's tail through the callback
            try check(cairo_surface_status(surface))
        }
        return sink.data
    }

    private func draw(on surface: OpaquePointer, scale: Double, opaque: Bool, pixelsPerPoint: Double?) throws {
        guard let cr = cairo_create(surface) else { throw Failure.cairo("no context") }
        defer { cairo_destroy(cr) }
        cairo_scale(cr, scale, scale)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD)
        if let bg = background ?? (opaque ? .white : nil) {
            Self.setSource(cr, bg)
            cairo_paint(cr)
        }
        for command in commands { replay(command, on: cr, pixelsPerPoint: pixelsPerPoint) }
        try check(cairo_status(cr))
    }

    private func replay(_ command: Command, on cr: OpaquePointer, pixelsPerPoint: Double?) {
        switch command {
        case let .fill(r, color):
            cairo_rectangle(cr, r.x, r.y, r.width, r.height)
            Self.setSource(cr, color)
            cairo_fill(cr)
        case let .path(points, closed, fill, stroke):
            guard let first = points.first else { return }
            cairo_new_path(cr)
            cairo_move_to(cr, first.x, first.y)
            for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
            if closed { cairo_close_path(cr) }
            paint(cr, fill: fill, stroke: stroke)
        case let .marker(shape, c, size, fill, stroke):
            let r = size / 2
            cairo_new_path(cr)
            switch shape {
            case .circle:
                cairo_arc(cr, c.x, c.y, r, 0, 2 * Double.pi)
            case .square:
                let s = r * 0.9                                  // same visual weight as the circle
                cairo_rectangle(cr, c.x - s, c.y - s, 2 * s, 2 * s)
            case .triangle:
                let t = r * 1.15
                cairo_move_to(cr, c.x, c.y - t)
                cairo_line_to(cr, c.x + t * 0.866, c.y + t * 0.5)
                cairo_line_to(cr, c.x - t * 0.866, c.y + t * 0.5)
                cairo_close_path(cr)
            case .diamond:
                let d = r * 1.2
                cairo_move_to(cr, c.x, c.y - d)
                cairo_line_to(cr, c.x + d, c.y)
                cairo_line_to(cr, c.x, c.y + d)
                cairo_line_to(cr, c.x - d, c.y)
                cairo_close_path(cr)
            }
            paint(cr, fill: fill, stroke: stroke)
        case let .text(string, at, size, bold, anchor, baseline, rotation, color):
            Self.setFont(cr, size: size, bold: bold)
            var e = cairo_text_extents_t()
            cairo_text_extents(cr, string, &e)
            let dx: Double
            switch anchor {
            case .left: dx = 0
            case .center: dx = -e.x_advance / 2
            case .right: dx = -e.x_advance
            }
            let capHeight = 0.729 * size                         // DejaVu Sans: 1493/2048 em
            let dy: Double
            switch baseline {
            case .alphabetic: dy = 0
            case .middle: dy = capHeight / 2
            case .top: dy = capHeight
            }
            cairo_save(cr)
            cairo_translate(cr, at.x, at.y)
            if rotation != 0 { cairo_rotate(cr, -rotation * Double.pi / 180) }
            cairo_move_to(cr, dx, dy)
            Self.setSource(cr, color)
            cairo_show_text(cr, string)
            cairo_restore(cr)
            cairo_new_path(cr)
        case let .image(original, r):
            // SVG viewers (rsvg, browsers) smooth an upscaled <image> whatever Cairo's filter;
            // PDF viewers may ignore /Interpolate false. So vector outputs get the raster
            // already enlarged by whole factors (nearest neighbour), blocks stay sharp anywhere.
            let raster = pixelsPerPoint.map { Self.enlarged(original, toCover: r, pixelsPerPoint: $0) } ?? original
            guard raster.width > 0, raster.height > 0,
                  let img = Self.makeSurface(raster) else { return }
            defer { cairo_surface_destroy(img) }
            cairo_save(cr)
            cairo_translate(cr, r.x, r.y)
            cairo_scale(cr, r.width / Double(raster.width), r.height / Double(raster.height))
            cairo_set_source_surface(cr, img, 0, 0)
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
            cairo_rectangle(cr, 0, 0, Double(raster.width), Double(raster.height))
            cairo_fill(cr)
            cairo_restore(cr)
        case let .pushClip(r):
            cairo_save(cr)
            cairo_rectangle(cr, r.x, r.y, r.width, r.height)
            cairo_clip(cr)
        case .popClip:
            cairo_restore(cr)
        }
    }

    private func paint(_ cr: OpaquePointer, fill: Color?, stroke: Stroke?) {
        if let fill {
            Self.setSource(cr, fill)
            if stroke != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
        }
        if let stroke {
            Self.setSource(cr, stroke.color)
            cairo_set_line_width(cr, stroke.width)
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
            cairo_set_line_cap(cr, stroke.dash.isEmpty ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT)
            stroke.dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
            cairo_stroke(cr)
        }
    }

    private static func setSource(_ cr: OpaquePointer, _ c: Color) {
        cairo_set_source_rgba(cr, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255, c.alpha)
    }

    /// Font options shared by every surface: grey antialiasing (no colour fringes), no
    /// hinting, and unhinted metrics so advances scale linearly (PNG at any scale = SVG = PDF).
    private static let fontOptions: OpaquePointer = {
        let o = cairo_font_options_create()!
        cairo_font_options_set_antialias(o, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_style(o, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF)
        return o                                                  // lives for the process
    }()

    private static func setFont(_ cr: OpaquePointer, size: Double, bold: Bool) {
        cairo_select_font_face(cr, fontFamily, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        cairo_set_font_options(cr, fontOptions)
    }

    private func scratchContext() -> OpaquePointer {
        if let cr = scratch { return cr }
        scratchSurface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1)
        scratch = cairo_create(scratchSurface)
        return scratch!
    }

    static func enlarged(_ r: Raster, toCover rect: Rect, pixelsPerPoint: Double) -> Raster {
        let kx = max(1, min(16, Int((rect.width * pixelsPerPoint / Double(r.width)).rounded(.up))))
        let ky = max(1, min(16, Int((rect.height * pixelsPerPoint / Double(r.height)).rounded(.up))))
        if kx == 1 && ky == 1 { return r }
        let w = r.width * kx, h = r.height * ky
        var px = [UInt8](repeating: 0, count: w * h * 3)
        r.pixels.withUnsafeBufferPointer { src in
            px.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let sy = y / ky
                    for x in 0..<w {
                        let i = (sy * r.width + x / kx) * 3, o = (y * w + x) * 3
                        dst[o] = src[i]; dst[o + 1] = src[i + 1]; dst[o + 2] = src[i + 2]
                    }
                }
            }
        }
        return Raster(width: w, height: h, pixels: px)
    }

    /// RGB8 -> Cairo RGB24 (a native-endian 32-bit word per pixel, top byte unused).
    private static func makeSurface(_ r: Raster) -> OpaquePointer? {
        guard let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(r.width), Int32(r.height)),
              cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else { return nil }
        cairo_surface_flush(s)
        let stride = Int(cairo_image_surface_get_stride(s))
        let base = cairo_image_surface_get_data(s)!
        r.pixels.withUnsafeBufferPointer { px in
            for y in 0..<r.height {
                let row = UnsafeMutableRawPointer(base + y * stride).assumingMemoryBound(to: UInt32.self)
                for x in 0..<r.width {
                    let i = (y * r.width + x) * 3
                    row[x] = 0xFF00_0000 | UInt32(px[i]) << 16 | UInt32(px[i + 1]) << 8 | UInt32(px[i + 2])
                }
            }
        }
        cairo_surface_mark_dirty(s)
        return s
    }

    private func check(_ status: cairo_status_t) throws {
        if status != CAIRO_STATUS_SUCCESS { throw Failure.cairo(String(cString: cairo_status_to_string(status))) }
    }

    /// Whether the toy face really is DejaVu Sans, regular and bold (checked by the advance of
    /// "M" at 2048 pt: 1767 and 2038 font units). Fontconfig silently substitutes another
    /// family when DejaVu is missing, and with no fonts at all Cairo uses its built-in stroke
    /// font; call this once at start-up (or in a test) and fail loudly.
    public static func fontIsDejaVuSans() -> Bool {
        let c = Canvas(width: 1, height: 1)
        return c.textWidth("M", size: 2048) == 1767 && c.textWidth("M", size: 2048, bold: true) == 2038
    }
}

/// Where a stream surface's bytes go: Cairo calls `appendToSink` with `closure` = this box.
private final class DataSink { var data = Data() }

/// A C function pointer cannot capture, so the Swift state travels as the `void *closure`
/// argument (Unmanaged, unretained: the caller keeps the box alive across finish/destroy).
private let appendToSink: cairo_write_func_t = { closure, bytes, length in
    guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
    Unmanaged<DataSink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
    return CAIRO_STATUS_SUCCESS
}
