import Eval
import Foundation
import Testing

@Suite struct PNGTests {
    @Test func encodesAndDecodesThroughLibpng() throws {
        var image = RGBImage(width: 5, height: 3)
        image[2, 1] = (10, 200, 30)
        image[4, 2] = (0, 0, 255)
        let data = try image.pngData()
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let back = try #require(RGBImage.decode(data))
        #expect(back.width == 5 && back.height == 3)
        #expect(back.pixels == image.pixels)
        #expect(RGBImage.decode(Data("no png".utf8)) == nil)
    }
}
