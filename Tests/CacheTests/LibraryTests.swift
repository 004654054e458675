import Cache
import Foundation
import Testing
import TestSupport

@Suite struct FFTWTests {
    @Test(arguments: [400, 512])
    func realFFTMatchesADirectDFT(size: Int) {
        let fft = RealFFT(size: size)
        let ws = fft.makeWorkspace()
        var x = [Double](repeating: 0, count: size)
        for i in 0..<size { x[i] = sin(Double(i) * 0.37) + 0.25 * cos(Double(i * i) * 0.01); ws.input[i] = Float(x[i]) }
        fft.execute(ws)
        var worst = 0.0
        for k in [0, 1, 7, size / 4, size / 2] {
            var re = 0.0, im = 0.0
            for n in 0..<size {
                let a = -2 * Double.pi * Double(k * n) / Double(size)
                re += Double(Float(x[n])) * cos(a)
                im += Double(Float(x[n])) * sin(a)
            }
            worst = max(worst, abs(Double(ws.magnitude(k)) - (re * re + im * im).squareRoot()))
        }
        #expect(worst < 1e-3)
    }
}

@Suite struct HDF5Tests {
    @Test func chunkedRowsStringsAndAttributesRoundTrip() throws {
        let dir = try TemporaryFolder("h5")
        defer { dir.cleanup() }
        let path = dir.file("t.h5").path
        do {
            let f = try HDF5File(path: path, mode: .create)
            try f.createGroup("train")
            let ds = try f.createFloatDataset("train/audio", shape: [3, 2, 4, 4])
            let values = (0..<(3 * 32)).map { Float($0) * 0.5 }
            try values.withUnsafeBufferPointer { try ds.writeRows(0, count: 3, $0) }
            let ids = try f.createStringDataset("train/sample", count: 3, maxLength: 16)
            try ids.writeStrings(["a/0", "b/1", "ü/2"])
            try f.setAttribute("dataset", "batvisionv2")
            try f.setAttribute("n_fft", 512)
            try f.setAttribute("max_depth", 30.0)
        }
        let f = try HDF5File(path: path, mode: .readOnly)
        let ds = try f.openDataset("train/audio")
        #expect(ds.shape == [3, 2, 4, 4] && ds.isFloat32)
        #expect(try ds.readRows(1, count: 1) == (32..<64).map { Float($0) * 0.5 })
        #expect(try f.openDataset("train/sample").readStrings() == ["a/0", "b/1", "ü/2"])
        #expect(f.stringAttribute("dataset") == "batvisionv2")
        #expect(f.intAttribute("n_fft") == 512)
        #expect(f.doubleAttribute("max_depth") == 30.0)
        #expect(Set(f.attributeNames()) == ["dataset", "n_fft", "max_depth"])
        #expect(f.exists("train/audio") && !f.exists("val/audio"))
        #expect(throws: HDF5Error.self) { try ds.readRows(2, count: 2) }
        #expect(throws: HDF5Error.self) { try HDF5File(path: dir.file("missing.h5").path, mode: .readOnly) }
    }
}
