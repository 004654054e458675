import Foundation
import Testing
import TestSupport
@testable import Train

/// TensorBoard event files: TFRecord framing with masked CRC-32C, checked against the
/// standard CRC-32C check value and by reading the records back.
@Suite struct TensorBoardTests {
    @Test func crc32cMatchesTheCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func recordsFrameAndChecksumTheirEvents() throws {
        let dir = try TemporaryFolder("tb")
        defer { dir.cleanup() }
        let writer = try TensorBoardWriter(directory: dir.url)
        try writer.scalars([("train/loss", 0.5), ("val/rmse", 1.25)], step: 3)
        let bytes = [UInt8](try Data(contentsOf: writer.url))
        var offset = 0, records: [[UInt8]] = []
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        while offset < bytes.count {
            let n = Int(u64(offset))
            #expect(u32(offset + 8) == CRC32C.masked(Array(bytes[offset..<(offset + 8)])))
            let payload = Array(bytes[(offset + 12)..<(offset + 12 + n)])
            #expect(u32(offset + 12 + n) == CRC32C.masked(payload))
            records.append(payload)
            offset += 16 + n
        }
        #expect(offset == bytes.count && records.count == 2)
        #expect(String(decoding: records[0], as: UTF8.self).contains("brain.Event:2"))
        // The scalar event: step 3 (field 2, varint) and both tags with their float values.
        let event = records[1]
        #expect(event.contains(0x10) && String(decoding: event, as: UTF8.self).contains("val/rmse"))
        let value = Float(1.25).bitPattern
        let le = [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
        #expect((0..<(event.count - 4)).contains { i in event[i] == 0x15 && Array(event[(i + 1)...(i + 4)]) == le })
    }
}
