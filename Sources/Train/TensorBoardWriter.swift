import Foundation
import Support

/// Scalars as TensorBoard event files (`events.out.tfevents.<time>.<host>`): TFRecord
/// framing (length, masked CRC-32C, payload, masked CRC-32C) around hand-encoded `Event`
/// protobufs, so `tensorboard --logdir logs/` shows the curves without TensorFlow here.
public final class TensorBoardWriter {
    public let url: URL
    private let handle: FileHandle

    public init(directory: URL) throws {
        try createDirectory(directory)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        url = directory.appendingPathComponent("events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let h = try? FileHandle(forWritingTo: url) else {
            throw FileError.write(path: url.path, reason: "cannot create the TensorBoard event file")
        }
        handle = h
        var event = Proto()
        event.double(1, Date().timeIntervalSince1970)
        event.bytes(3, Array("brain.Event:2".utf8))
        try append(event.data)
    }

    deinit { try? handle.close() }

    public func scalars(_ values: [(tag: String, value: Double)], step: Int) throws {
        var summary = Proto()
        for (tag, value) in values {
            var v = Proto()
            v.bytes(1, Array(tag.utf8))
            v.float(2, Float(value))
            summary.bytes(1, v.data)
        }
        var event = Proto()
        event.double(1, Date().timeIntervalSince1970)
        event.varint(2, UInt64(max(step, 0)))
        event.bytes(5, summary.data)
        try append(event.data)
    }

    private func append(_ payload: [UInt8]) throws {
        var record: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(payload.count).littleEndian) { Array($0) }
        record += length
        record += withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { Array($0) }
        record += payload
        record += withUnsafeBytes(of: CRC32C.masked(payload).littleEndian) { Array($0) }
        try handle.write(contentsOf: record)
    }

    /// Minimal protobuf encoder: the few wire types an Event needs.
    struct Proto {
        var data: [UInt8] = []
        mutating func key(_ field: Int, _ wire: UInt64) { raw(UInt64(field) << 3 | wire) }
        mutating func raw(_ v: UInt64) {
            var v = v
            while v >= 0x80 { data.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            data.append(UInt8(v))
        }
        mutating func varint(_ field: Int, _ v: UInt64) { key(field, 0); raw(v) }
        mutating func double(_ field: Int, _ v: Double) {
            key(field, 1)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 }
        }
        mutating func float(_ field: Int, _ v: Float) {
            key(field, 5)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 }
        }
        mutating func bytes(_ field: Int, _ v: [UInt8]) { key(field, 2); raw(UInt64(v.count)); data += v }
    }
}

/// CRC-32C (Castagnoli), as TFRecord uses, with TensorFlow's mask.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func masked(_ bytes: [UInt8]) -> UInt32 {
        let c = checksum(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}
