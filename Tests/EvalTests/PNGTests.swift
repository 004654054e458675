import Eval
import Foundation
import Testing
import Train

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

    /// Holes in the ground truth (0 = no measurement, or NaN) are neutral grey in the
    /// ground-truth and error columns, not the colour of 0 m; the prediction is drawn everywhere.
    @Test func sheetsShowDepthHolesInGrey() {
        let panel = DepthPanel(id: "s", split: .test, gt: [0, .nan, 5, 5], pred: [5, 5, 5, 5], size: 2)
        let image = PredictionSheet.render([panel], maxDepth: 10)
        let tile = 128, left = 10, top = 10 + 16 + 16  // margin, column labels, the panel's title
        let grey: (UInt8, UInt8, UInt8) = (128, 128, 128)
        func same(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Bool { a == b }
        let errorColumn = left + 2 * (tile + 6)
        for (x, y) in [(left, top), (left + tile / 2, top), (errorColumn, top), (errorColumn + tile / 2, top)] {
            #expect(same(image[x, y], grey), "hole at \(x),\(y)")
        }
        #expect(!same(image[left, top + tile / 2], grey) && !same(image[left, top + tile / 2], ColourMap.viridis(0)))
        #expect(same(image[left + tile + 6, top], ColourMap.viridis(5.0 / 5.0)))
    }
}
