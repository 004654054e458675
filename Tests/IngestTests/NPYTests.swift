import Foundation
import Ingest
import Testing
import TestSupport

/// Builds .npy bytes by hand, independently of NPYWriter, for any version and dtype.
func npyBytes(version: UInt8, descr: String, fortran: Bool, shape: [Int], body: [UInt8]) -> Data {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (\(dims)), }"
    let pre = version == 1 ? 10 : 12
    header += String(repeating: " ", count: (64 - (pre + header.utf8.count + 1) % 64) % 64) + "\n"
    var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
    let n = header.utf8.count
    if version == 1 { out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)]) } else {
        out.append(contentsOf: [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), 0, 0])
    }
    out.append(contentsOf: Array(header.utf8))
    out.append(contentsOf: body)
    return out
}

func bytes<T: FixedWidthInteger>(_ values: [T], bigEndian: Bool) -> [UInt8] {
    values.flatMap { v -> [UInt8] in
        let x = bigEndian ? v.bigEndian : v.littleEndian
        return withUnsafeBytes(of: x) { Array($0) }
    }
}

@Suite struct NPYTests {
    /// 2x3 values 0, 1, -2, 3, 4, 250 (as each dtype can hold them) in C order.
    static let values: [Double] = [0, 1, -2, 3, 4, 250]

    static func body(kind: Character, size: Int, bigEndian: Bool, fortran: Bool) -> [UInt8] {
        // Fortran order stores column by column: (0,0) (1,0) (0,1) (1,1) (0,2) (1,2).
        let order = fortran ? [0, 3, 1, 4, 2, 5] : [0, 1, 2, 3, 4, 5]
        let v = order.map { values[$0] }
        switch (kind, size) {
        case ("f", 4): return bytes(v.map { Float($0).bitPattern }, bigEndian: bigEndian)
        case ("f", 8): return bytes(v.map { $0.bitPattern }, bigEndian: bigEndian)
        case ("u", 1), ("b", 1): return v.map { kind == "b" ? ($0 != 0 ? 1 : 0) : UInt8(abs($0)) }
        case ("u", 2): return bytes(v.map { UInt16(abs($0)) }, bigEndian: bigEndian)
        case ("i", 2): return bytes(v.map { Int16($0) }, bigEndian: bigEndian)
        case ("i", 4): return bytes(v.map { Int32($0) }, bigEndian: bigEndian)
        case ("u", 4): return bytes(v.map { UInt32(abs($0)) }, bigEndian: bigEndian)
        default: return []
        }
    }

    static func expected(kind: Character) -> [Float] {
        values.map { kind == "b" ? ($0 != 0 ? 1 : 0) : (kind == "u" ? Float(abs($0)) : Float($0)) }
    }

    @Test(arguments: [1, 2, 3] as [UInt8])
    func everyVersionDtypeOrderAndEndianness(version: UInt8) throws {
        let dtypes: [(Character, Int)] = [("f", 4), ("f", 8), ("u", 2), ("i", 2), ("i", 4), ("u", 4), ("u", 1), ("b", 1)]
        for (kind, size) in dtypes {
            for big in size == 1 ? [false] : [false, true] {
                for fortran in [false, true] {
                    let descr = size == 1 ? "|\(kind)1" : "\(big ? ">" : "<")\(kind)\(size)"
                    let data = npyBytes(version: version, descr: descr, fortran: fortran, shape: [2, 3],
                                        body: Self.body(kind: kind, size: size, bigEndian: big, fortran: fortran))
                    let arr = try NPYArray(data: data, path: "x.npy")
                    #expect(arr.shape == [2, 3], "\(descr)")
                    #expect(arr.floats() == Self.expected(kind: kind), "\(descr) v\(version) fortran=\(fortran)")
                }
            }
        }
    }

    @Test func oneDimensionalAndWriterRoundTrip() throws {
        let values: [Float] = [0.5, -1, .infinity, 3e-7]
        let arr = try NPYArray(data: NPYWriter.encode(values, shape: [4]), path: "a.npy")
        #expect(arr.shape == [4] && arr.dtype == .float32)
        #expect(arr.floats() == values)
        let u = try NPYArray(data: NPYWriter.encode([1, 65535] as [UInt16], shape: [1, 2]), path: "u.npy")
        #expect(u.floats() == [1, 65535] && u.dtype.name == "uint16")
    }

    @Test func readsTheRealDepthAndTheGoldenV1Depth() throws {
        let real = try NPYArray(contentsOf: Fixtures.realDepth)
        #expect(real.shape == [720, 1280] && real.dtype == .uint16)
        let values = real.floats()
        #expect(values.filter { $0 == 0 }.count == 199_670)
        #expect(values.max() == 15711)
        let v1 = try NPYArray(contentsOf: Fixtures.url("goldens/dsp/bv1_synth.depth_mm.npy"))
        #expect(v1.shape == [120, 160])
        let f = v1.floats()
        #expect(f.contains { $0.isNaN } && f.contains { $0 == .infinity } && f.contains { $0 == -.infinity })
    }

    func expectNPYError(_ data: Data, contains text: String) {
        do {
            _ = try NPYArray(data: data, path: "bad.npy")
            Issue.record("expected an error containing '\(text)'")
        } catch let error as IngestError {
            #expect(error.description.contains("bad.npy"), "error names the file: \(error)")
            #expect(error.description.contains(text), "\(error)")
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test func brokenFilesAreClearErrors() {
        let good = npyBytes(version: 1, descr: "<f4", fortran: false, shape: [2, 3], body: [UInt8](repeating: 0, count: 24))
        var badMagic = good
        badMagic[1] = 0x41
        expectNPYError(badMagic, contains: "bad magic")
        expectNPYError(good.prefix(good.count - 5), contains: "holds 19 data bytes")
        expectNPYError(Data(good.prefix(8)), contains: "shorter than")
        expectNPYError(npyBytes(version: 1, descr: "<c8", fortran: false, shape: [3], body: [UInt8](repeating: 0, count: 24)),
                       contains: "unsupported dtype")
        expectNPYError(npyBytes(version: 1, descr: "<f4", fortran: false, shape: [4, 3], body: [UInt8](repeating: 0, count: 24)),
                       contains: "shape [4, 3]")
        // A huge lying shape must fail before any allocation.
        expectNPYError(npyBytes(version: 2, descr: "<f8", fortran: false, shape: [1 << 40, 1 << 30], body: [0, 0]),
                       contains: "too")
        expectNPYError(npyBytes(version: 9, descr: "<f4", fortran: false, shape: [1], body: [0, 0, 0, 0]),
                       contains: "unsupported format version")
        var lyingLength = good
        lyingLength[8] = 0xFF
        lyingLength[9] = 0xFF
        expectNPYError(lyingLength, contains: "exceeds the file size")
    }
}
