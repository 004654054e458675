import Foundation
import Support

/// One tensor of a safetensors file: float32 values, or int64 ones (BatchNorm's
/// `num_batches_tracked`).
public struct NamedTensor: Equatable {
    public enum Values: Equatable {
        case float32([Float])
        case int64([Int64])
    }
    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], floats: [Float]) { self.shape = shape; values = .float32(floats) }
    public init(shape: [Int], ints: [Int64]) { self.shape = shape; values = .int64(ints) }

    public var floats: [Float]? { if case let .float32(v) = values { return v } else { return nil } }
    public var ints: [Int64]? { if case let .int64(v) = values { return v } else { return nil } }
}

/// The safetensors format (Hugging Face): 8-byte little-endian header length, a JSON
/// header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the
/// raw little-endian bytes. Read: F32, F16, BF16, F64 (as float), I64, I32. Written: F32, I64.
public enum SafeTensors {
    /// The largest header read: a U-Net's is a few KB, a language model's a few MB.
    static let maxHeaderBytes: UInt64 = 100_000_000

    public static func read(_ url: URL) throws -> (tensors: [String: NamedTensor], metadata: [String: String]) {
        let bytes = [UInt8](try readFile(url))
        return try parse(bytes, path: url.path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> (tensors: [String: NamedTensor], metadata: [String: String]) {
        func fail(_ why: String) -> ModelError { .tensors(path: path, reason: "not a safetensors file: \(why)") }
        guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes, shorter than the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("its header length \(headerLength) runs past the end of the file (\(bytes.count - 8) bytes follow the length)")
        }
        guard headerLength <= maxHeaderBytes else {
            throw fail("a header of \(headerLength) bytes, more than the \(maxHeaderBytes) a header may have (a U-Net's takes a few KB)")
        }
        let dataStart = 8 + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) } catch {
            throw fail("the header is not valid JSON (\(clipped(plainReason(error), limit: 200)))")
        }
        guard let header = json as? [String: Any] else {
            throw fail("the header is JSON but not an object of tensors (it is \(json is [Any] ? "an array" : "a single value"))")
        }
        let dataCount = bytes.count - dataStart
        var tensors: [String: NamedTensor] = [:]
        var metadata: [String: String] = [:]
        for (name, entry) in header {
            if name == "__metadata__" {
                for (k, v) in (entry as? [String: Any]) ?? [:] { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shapeAny = e["shape"] as? [Any], let offsetsAny = e["data_offsets"] as? [Any], offsetsAny.count == 2
            else { throw fail("entry \(clipped(name, limit: 100)) lacks dtype, shape or data_offsets") }
            let shape = shapeAny.compactMap(Self.exactInt)
            let offsets = offsetsAny.compactMap(Self.exactInt)
            guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount
            else { throw fail("entry \(clipped(name, limit: 100)) has a bad shape \(shapeAny) or data_offsets \(offsetsAny) (data is \(dataCount) bytes)") }
            var count = 1
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw fail("entry \(clipped(name, limit: 100)): shape \(shape) overflows") }
                count = p
            }
            let width: Int
            switch dtype {
            case "F32", "I32": width = 4
            case "F64", "I64": width = 8
            case "F16", "BF16": width = 2
            default: throw fail("entry \(clipped(name, limit: 100)): dtype \(dtype) is not supported (F32, F64, F16, BF16, I64, I32 are)")
            }
            let (bytesNeeded, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, offsets[1] - offsets[0] == bytesNeeded else {
                throw fail("entry \(clipped(name, limit: 100)): \(offsets[1] - offsets[0]) bytes for \(count) \(dtype) values")
            }
            let start = dataStart + offsets[0]
            func word(_ i: Int, _ w: Int) -> UInt64 {
                var v: UInt64 = 0
                for b in 0..<w { v |= UInt64(bytes[start + i * w + b]) << (8 * UInt64(b)) }
                return v
            }
            switch dtype {
            case "F32": tensors[name] = NamedTensor(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(word($0, 4))) })
            case "F64": tensors[name] = NamedTensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: word($0, 8))) })
            case "F16": tensors[name] = NamedTensor(shape: shape, floats: (0..<count).map { Float(Float16(bitPattern: UInt16(word($0, 2)))) })
            case "BF16": tensors[name] = NamedTensor(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(word($0, 2)) << 16) })
            case "I64": tensors[name] = NamedTensor(shape: shape, ints: (0..<count).map { Int64(bitPattern: word($0, 8)) })
            default: tensors[name] = NamedTensor(shape: shape, ints: (0..<count).map { Int64(Int32(bitPattern: UInt32(word($0, 4)))) })
            }
        }
        return (tensors, metadata)
    }

    /// A JSON number that is a whole number a file could hold (below 2^53), else nil: no
    /// conversion of a huge or fractional value may trap.
    static func exactInt(_ any: Any) -> Int? {
        guard let n = any as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }

    /// Serialises tensors in name order (deterministic bytes) with optional metadata.
    public static func encode(_ tensors: [String: NamedTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let sources = tensors.mapValues(TensorSource.init)
        var out = try header(sources, metadata: metadata)
        for name in sources.keys.sorted() { sources[name]?.withBytes { out.append(contentsOf: $0) } }
        return out
    }

    public static func write(_ tensors: [String: NamedTensor], metadata: [String: String] = [:], to url: URL) throws {
        try write(tensors.mapValues(TensorSource.init), metadata: metadata, to: url)
    }

    /// Writes tensors straight from where their values live (a model's parameters, an
    /// optimiser's moments): the file's bytes are those of `encode`, without a copy of the
    /// whole file in memory (a 1-billion-parameter U-Net's optimiser file is 8 GB).
    public static func write(_ sources: [String: TensorSource], metadata: [String: String] = [:], to url: URL) throws {
        let writer = try AtomicFileWriter(url)
        try header(sources, metadata: metadata).withUnsafeBytes { try writer.write($0) }
        for name in sources.keys.sorted() { try sources[name]?.withBytes { try writer.write($0) } }
        try writer.commit()
    }

    /// The length, the JSON header (names in order, offsets following each other) and its
    /// padding to 8 bytes with spaces, as the reference writes them.
    static func header(_ sources: [String: TensorSource], metadata: [String: String]) throws -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for name in sources.keys.sorted() {
            guard let t = sources[name] else { continue }
            header[name] = ["dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, offset + t.byteCount]] as [String: Any]
            offset += t.byteCount
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while (8 + json.count) % 8 != 0 { json.append(0x20) }  // pad with spaces, as the reference does
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json
    }
}

/// A tensor to write and where its values live, read in place (little-endian bytes).
public struct TensorSource {
    public let shape: [Int]
    let dtype: String
    let byteCount: Int
    private let bytes: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

    /// float32 values owned elsewhere: they must stay alive and unchanged until written.
    public static func float32(_ buffer: FloatBuffer, shape: [Int]) -> TensorSource {
        TensorSource(shape: shape, dtype: "F32", byteCount: buffer.count * 4) { body in
            try withLittleEndianBytes(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count), body)
        }
    }

    init(_ tensor: NamedTensor) {
        switch tensor.values {
        case let .float32(v):
            self.init(shape: tensor.shape, dtype: "F32", byteCount: v.count * 4) { body in
                try v.withUnsafeBufferPointer { try withLittleEndianBytes($0, body) }
            }
        case let .int64(v):
            self.init(shape: tensor.shape, dtype: "I64", byteCount: v.count * 8) { body in
                try v.map(\.littleEndian).withUnsafeBytes { try body($0) }
            }
        }
    }

    private init(shape: [Int], dtype: String, byteCount: Int, bytes: @escaping ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) {
        self.shape = shape
        self.dtype = dtype
        self.byteCount = byteCount
        self.bytes = bytes
    }

    /// Hands the tensor's bytes to `body`, in one or more pieces, in order.
    func withBytes(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try withoutActuallyEscaping(body) { try bytes($0) }
    }
}

/// float32 values as little-endian bytes: in place on a little-endian host, else converted
/// a block at a time.
private func withLittleEndianBytes(_ values: UnsafeBufferPointer<Float>, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    #if _endian(little)
    try body(UnsafeRawBufferPointer(values))
    #else
    var block = [UInt32](repeating: 0, count: 1 << 16)
    for start in stride(from: 0, to: values.count, by: block.count) {
        let n = min(block.count, values.count - start)
        for i in 0..<n { block[i] = values[start + i].bitPattern.littleEndian }
        try block.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<(n * 4)])) }
    }
    #endif
}
