import CPNG
import Foundation
import Ingest
import Support

/// An 8-bit RGB picture, written as PNG through libpng.
public struct RGBImage {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { pixels[3 * i] = fill.0; pixels[3 * i + 1] = fill.1; pixels[3 * i + 2] = fill.2 }
    }

    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get { let i = 3 * (y * width + x); return (pixels[i], pixels[i + 1], pixels[i + 2]) }
        set { let i = 3 * (y * width + x); pixels[i] = newValue.0; pixels[i + 1] = newValue.1; pixels[i + 2] = newValue.2 }
    }

    /// Encodes with libpng's simplified API (no setjmp needed).
    public func pngData() throws -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_RGB)
        var size: Int = 0
        let stride = Int32(width * 3)
        let ok = pixels.withUnsafeBufferPointer { px in
            png_image_write_to_memory(&image, nil, &size, 0, px.baseAddress, stride, nil)
        }
        guard ok != 0, size > 0 else {
            throw EvalError.picture(path: "<png>", reason: "libpng could not size the image")
        }
        var out = Data(count: size)
        let written = out.withUnsafeMutableBytes { buf in
            pixels.withUnsafeBufferPointer { px in
                png_image_write_to_memory(&image, buf.baseAddress, &size, 0, px.baseAddress, stride, nil)
            }
        }
        png_image_free(&image)
        guard written != 0 else { throw EvalError.picture(path: "<png>", reason: "libpng failed to encode it") }
        return out.prefix(size)
    }

    public func write(to url: URL) throws { try writeFile(try pngData(), to: url) }

    /// Decodes a PNG (8-bit RGB) with libpng, for tests and for reading pictures back.
    public static func decode(_ data: Data) -> RGBImage? {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, data.count) }
        guard begun != 0 else { return nil }
        image.format = UInt32(PNG_FORMAT_RGB)
        var out = RGBImage(width: Int(image.width), height: Int(image.height))
        let ok = out.pixels.withUnsafeMutableBufferPointer { px in
            png_image_finish_read(&image, nil, px.baseAddress, Int32(out.width * 3), nil)
        }
        png_image_free(&image)
        return ok != 0 ? out : nil
    }
}
