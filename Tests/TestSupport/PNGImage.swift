import CPNG
import Foundation

/// An 8-bit RGB picture read back from a PNG (libpng), for tests that look at what the
/// tool drew.
public struct RGBImage {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 255, count: width * height * 3)
    }

    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = 3 * (y * width + x)
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Decodes a PNG as 8-bit RGB; nil when it is not one.
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
