import Foundation
import Support

/// TensorBoard event files (`events.out.tfevents.<time>.<host>`): TFRecord framing
/// (length, masked CRC-32C, payload, masked CRC-32C) around hand-encoded `Event`
/// protobufs, so `tensorboard --logdir logs/` shows the run without TensorFlow here:
/// scalars, images (PNG), text (the text plugin) and hyperparameters (the hparams plugin),
/// what the baseline's SummaryWriter logs.
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
        try summary(step: step, values: values.map { tag, value in
            var v = Proto()
            v.bytes(1, Array(tag.utf8))
            v.float(2, Float(value))  // Summary.Value.simple_value
            return v
        })
    }

    /// A PNG picture (Summary.Value.image: height, width, colour space RGB, the PNG bytes).
    public func image(_ tag: String, png: Data, width: Int, height: Int, step: Int) throws {
        var image = Proto()
        image.varint(1, UInt64(height))
        image.varint(2, UInt64(width))
        image.varint(3, 3)
        image.bytes(4, Array(png))
        var v = Proto()
        v.bytes(1, Array(tag.utf8))
        v.bytes(4, image.data)
        try summary(step: step, values: [v])
    }

    /// A PNG file as an image (its size read from the PNG header).
    public func pngImage(_ tag: String, at url: URL, step: Int) throws {
        let png = try readFile(url, limit: 64 << 20)
        let bytes = [UInt8](png.prefix(24))
        guard bytes.count == 24, bytes[12..<16].elementsEqual("IHDR".utf8) else {
            throw FileError.unreadable(path: url.path, reason: "not a PNG")
        }
        func u32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        try image(tag, png: png, width: u32(16), height: u32(20), step: step)
    }

    /// Text for the text plugin (Markdown): a scalar DT_STRING tensor.
    public func text(_ tag: String, _ text: String, step: Int) throws {
        var tensor = Proto()
        tensor.varint(1, 7)              // dtype DT_STRING
        tensor.bytes(2, [])              // tensor_shape: a scalar
        tensor.bytes(8, Array(text.utf8))  // string_val
        var v = Proto()
        v.bytes(1, Array(tag.utf8))
        v.bytes(9, Self.pluginMetadata("text", content: []))
        v.bytes(8, tensor.data)
        try summary(step: step, values: [v])
    }

    /// A run's hyperparameters for the hparams plugin: the experiment (which hparams and
    /// metric tags there are), then this session's values; `finished` closes the session.
    public func hyperparameters(_ values: [(name: String, value: HParam)], metrics: [String]) throws {
        var experiment = Proto()
        for (name, _) in values {
            var info = Proto()
            info.bytes(1, Array(name.utf8))
            experiment.bytes(4, info.data)           // hparam_infos
        }
        for tag in metrics {
            var metricName = Proto()
            metricName.bytes(2, Array(tag.utf8))     // MetricName.tag
            var info = Proto()
            info.bytes(1, metricName.data)
            experiment.bytes(5, info.data)           // metric_infos
        }
        var start = Proto()
        for (name, value) in values {
            var entry = Proto()
            entry.bytes(1, Array(name.utf8))
            entry.bytes(2, value.proto.data)         // google.protobuf.Value
            start.bytes(1, entry.data)               // SessionStartInfo.hparams (a map)
        }
        start.double(5, Date().timeIntervalSince1970)
        for (tag, field, body) in [("_hparams_/experiment", 2, experiment), ("_hparams_/session_start_info", 3, start)] {
            var data = Proto()
            data.varint(1, 0)                        // HParamsPluginData.version
            data.bytes(field, body.data)
            var v = Proto()
            v.bytes(1, Array(tag.utf8))
            v.bytes(9, Self.pluginMetadata("hparams", content: data.data))
            try summary(step: 0, values: [v])
        }
    }

    /// Closes the hparams session (SessionEndInfo, status success).
    public func hyperparametersFinished() throws {
        var end = Proto()
        end.varint(1, 1)
        end.double(2, Date().timeIntervalSince1970)
        var data = Proto()
        data.varint(1, 0)
        data.bytes(4, end.data)
        var v = Proto()
        v.bytes(1, Array("_hparams_/session_end_info".utf8))
        v.bytes(9, Self.pluginMetadata("hparams", content: data.data))
        try summary(step: 0, values: [v])
    }

    /// A hyperparameter's value: a number, text or a truth value.
    public enum HParam {
        case number(Double), text(String), bool(Bool)

        var proto: Proto {
            var p = Proto()
            switch self {
            case let .number(d): p.double(2, d)
            case let .text(s): p.bytes(3, Array(s.utf8))
            case let .bool(b): p.varint(4, b ? 1 : 0)
            }
            return p
        }
    }

    /// SummaryMetadata { plugin_data { plugin_name, content } }.
    static func pluginMetadata(_ plugin: String, content: [UInt8]) -> [UInt8] {
        var pluginData = Proto()
        pluginData.bytes(1, Array(plugin.utf8))
        if !content.isEmpty { pluginData.bytes(2, content) }
        var metadata = Proto()
        metadata.bytes(1, pluginData.data)
        return metadata.data
    }

    /// One Event at `step` holding a Summary of `values`.
    private func summary(step: Int, values: [Proto]) throws {
        var summary = Proto()
        for v in values { summary.bytes(1, v.data) }
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
