import Foundation
import Support

/// Element type of an .npy array: kind, size and byte order, as numpy's `descr` says.
public struct NPYDType: Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Character, Sendable { case float = "f", signed = "i", unsigned = "u", bool = "b" }
    public let kind: Kind
    public let size: Int
    public let bigEndian: Bool

    public init(kind: Kind, size: Int, bigEndian: Bool = false) {
        self.kind = kind
        self.size = size
        self.bigEndian = bigEndian
    }

    /// Parses a numpy descr such as `<f4`, `>u2`, `|b1`, `=i4`. Nil when unsupported.
    public init?(descr: String) {
        let chars = Array(descr)
        guard chars.count >= 3, let kind = Kind(rawValue: chars[1]),
              let size = Int(String(chars[2...])) else { return nil }
        switch chars[0] {
        case "<", "=": bigEndian = false  // '=' is native; every supported host is little-endian
        case ">": bigEndian = true
        case "|": guard size == 1 else { return nil }; bigEndian = false
        default: return nil
        }
        let supported: Set<Int>
        switch kind {
        case .float: supported = [2, 4, 8]
        case .signed, .unsigned: supported = [1, 2, 4, 8]
        case .bool: supported = [1]
        }
        guard supported.contains(size) else { return nil }
        self.kind = kind
        self.size = size
    }

    /// numpy's spelling, e.g. `<f4` or `|u1`.
    public var descr: String {
        let order = size == 1 ? "|" : (bigEndian ? ">" : "<")
        return "\(order)\(kind.rawValue)\(size)"
    }

    /// numpy's dtype name, e.g. `float32`, `uint16`, `bool`.
    public var name: String {
        switch kind {
        case .float: return "float\(size * 8)"
        case .signed: return "int\(size * 8)"
        case .unsigned: return "uint\(size * 8)"
        case .bool: return "bool"
        }
    }

    public var description: String { descr }

    public static let float32 = NPYDType(kind: .float, size: 4)
    public static let float64 = NPYDType(kind: .float, size: 8)
    public static let uint16 = NPYDType(kind: .unsigned, size: 2)
}

/// An .npy array as stored: its header and the raw element bytes (not yet converted).
public struct NPYArray {
    public let dtype: NPYDType
    public let shape: [Int]
    public let fortranOrder: Bool
    /// Element bytes, exactly `count * dtype.size` of them.
    public let body: Data

    public var count: Int { shape.reduce(1, *) }

    /// Parses an .npy file held in memory. Every failure names `path`.
    /// Never allocates more than the input: the header's shape must match the body size.
    public init(data: Data, path: String) throws {
        func fail(_ reason: String) -> IngestError { .npy(path: path, reason: reason) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard data.count >= 10 else { throw fail("file is \(data.count) bytes, shorter than an .npy preamble") }
        let base = data.startIndex
        guard Array(data[base..<base + 6]) == magic else { throw fail("bad magic (expected \\x93NUMPY)") }
        let major = data[base + 6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[base + 8]) | Int(data[base + 9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else { throw fail("truncated preamble for format version \(major)") }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[base + 8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw fail("unsupported format version \(major).\(data[base + 7]) (expected 1.0, 2.0 or 3.0)")
        }
        guard headerLength <= data.count - headerStart else {
            throw fail("header length \(headerLength) exceeds the file size \(data.count)")
        }
        let headerBytes = data[(base + headerStart)..<(base + headerStart + headerLength)]
        guard let header = String(data: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not text")
        }
        let fields = try NPYHeader.parse(header, path: path)
        guard let dtype = NPYDType(descr: fields.descr) else {
            throw fail("unsupported dtype '\(fields.descr)' (supported: float16/32/64, int8-64, uint8-64, bool, either byte order)")
        }
        var count = 1
        for dim in fields.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard dim >= 0, !overflow else { throw fail("shape \(fields.shape) is too large") }
            count = product
        }
        let bodyStart = headerStart + headerLength
        let available = data.count - bodyStart
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, needed == available else {
            throw fail("header says shape \(fields.shape) of \(dtype.name) (\(overflow ? "too many" : String(needed)) bytes) but the file holds \(available) data bytes")
        }
        self.dtype = dtype
        self.shape = fields.shape
        self.fortranOrder = fields.fortranOrder
        self.body = data[(base + bodyStart)..<(base + data.count)]  // a slice: no copy
    }

    /// Reads and parses an .npy file.
    public init(contentsOf url: URL) throws {
        try self.init(data: try readFile(url), path: url.path)
    }

    /// The values as float32 in C (row-major) order, cast as numpy's `astype(np.float32)`:
    /// no rescaling, so uint16 millimetres stay millimetres.
    public func floats() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { floats(into: $0) }
        return out
    }

    /// The values as float32 in C order into `dst` (at least `count` long), no allocation
    /// for C-ordered arrays.
    public func floats(into dst: UnsafeMutableBufferPointer<Float>) {
        body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            convert(raw, into: UnsafeMutableBufferPointer(rebasing: dst[0..<count]))
        }
        if fortranOrder && shape.count >= 2 {
            let c = Self.fortranToC(Array(dst[0..<count]), shape: shape)
            for i in 0..<count { dst[i] = c[i] }
        }
    }

    private func convert(_ raw: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) {
        let big = dtype.bigEndian
        @inline(__always) func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
            return big ? T(bigEndian: v) : T(littleEndian: v)
        }
        switch (dtype.kind, dtype.size) {
        case (.float, 4):
            for i in 0..<dst.count { dst[i] = Float(bitPattern: load(UInt32.self, i)) }
        case (.float, 8):
            for i in 0..<dst.count { dst[i] = Float(Double(bitPattern: load(UInt64.self, i))) }
        case (.float, 2):
            for i in 0..<dst.count { dst[i] = Float(halfBits: load(UInt16.self, i)) }
        case (.unsigned, 1), (.bool, 1):
            for i in 0..<dst.count { dst[i] = Float(raw[i]) }
        case (.signed, 1):
            for i in 0..<dst.count { dst[i] = Float(Int8(bitPattern: raw[i])) }
        case (.unsigned, 2): for i in 0..<dst.count { dst[i] = Float(load(UInt16.self, i)) }
        case (.signed, 2): for i in 0..<dst.count { dst[i] = Float(load(Int16.self, i)) }
        case (.unsigned, 4): for i in 0..<dst.count { dst[i] = Float(load(UInt32.self, i)) }
        case (.signed, 4): for i in 0..<dst.count { dst[i] = Float(load(Int32.self, i)) }
        case (.unsigned, 8): for i in 0..<dst.count { dst[i] = Float(load(UInt64.self, i)) }
        case (.signed, 8): for i in 0..<dst.count { dst[i] = Float(load(Int64.self, i)) }
        default: break  // NPYDType(descr:) admits no other combination
        }
    }

    /// Reorders column-major values to row-major for any rank.
    static func fortranToC(_ values: [Float], shape: [Int]) -> [Float] {
        let rank = shape.count
        var out = [Float](repeating: 0, count: values.count)
        var fStrides = [Int](repeating: 1, count: rank)
        for d in 1..<rank { fStrides[d] = fStrides[d - 1] * shape[d - 1] }
        var index = [Int](repeating: 0, count: rank)
        for c in 0..<values.count {
            var f = 0
            for d in 0..<rank { f += index[d] * fStrides[d] }
            out[c] = values[f]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}

extension Float {
    /// IEEE half precision to single (numpy float16).
    init(halfBits h: UInt16) {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let magnitude = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            self = sign != 0 ? -magnitude : magnitude
        } else if exp == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mant << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
        }
    }
}

/// The Python-literal dict in an .npy header: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
enum NPYHeader {
    struct Fields { var descr: String; var fortranOrder: Bool; var shape: [Int] }

    static func parse(_ text: String, path: String) throws -> Fields {
        func fail(_ reason: String) -> IngestError { .npy(path: path, reason: "header \(reason): \(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))") }
        guard let descr = stringValue(text, key: "descr") else { throw fail("has no 'descr'") }
        guard let order = rawValue(text, key: "fortran_order") else { throw fail("has no 'fortran_order'") }
        let fortran: Bool
        if order.hasPrefix("True") { fortran = true } else if order.hasPrefix("False") { fortran = false } else {
            throw fail("has a 'fortran_order' that is neither True nor False")
        }
        guard let shapeText = rawValue(text, key: "shape"), shapeText.first == "(",
              let close = shapeText.firstIndex(of: ")") else { throw fail("has no 'shape' tuple") }
        let inner = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let token = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if token.isEmpty { continue }
            guard let dim = Int(token), dim >= 0 else { throw fail("has a bad dimension '\(token)'") }
            shape.append(dim)
        }
        return Fields(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// The text right after `'key':`, leading spaces trimmed.
    private static func rawValue(_ text: String, key: String) -> Substring? {
        for quote in ["'", "\""] {
            if let r = text.range(of: "\(quote)\(key)\(quote)") {
                var rest = text[r.upperBound...].drop { $0 == " " }
                guard rest.first == ":" else { continue }
                rest = rest.dropFirst().drop { $0 == " " }
                return rest
            }
        }
        return nil
    }

    private static func stringValue(_ text: String, key: String) -> String? {
        guard let rest = rawValue(text, key: key), let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }
}

/// Writes arrays as .npy version 1.0 (what `np.save` writes), little-endian, C order.
public enum NPYWriter {
    public static func encode(shape: [Int], dtype: NPYDType, body: Data) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(dtype.descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        // numpy pads with spaces so that the data starts on a 64-byte boundary, then '\n'.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let len = UInt16(header.utf8.count)
        out.append(UInt8(len & 0xFF))
        out.append(UInt8(len >> 8))
        out.append(contentsOf: Array(header.utf8))
        out.append(body)
        return out
    }

    public static func encode(_ values: [Float], shape: [Int]) -> Data {
        let body = values.withUnsafeBufferPointer { Data(buffer: $0) }
        return encode(shape: shape, dtype: .float32, body: body)
    }

    public static func encode(_ values: [UInt16], shape: [Int]) -> Data {
        let body = values.withUnsafeBufferPointer { Data(buffer: $0) }
        return encode(shape: shape, dtype: .uint16, body: body)
    }
}
