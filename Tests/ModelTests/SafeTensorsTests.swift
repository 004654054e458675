import Foundation
import Testing
import TestSupport
@testable import Model

/// safetensors: a round trip, and damaged files rejected with the file named, never a trap.
@Suite struct SafeTensorsTests {
    let tensors: [String: NamedTensor] = [
        "a.weight": NamedTensor(shape: [2, 3], floats: [1, -2, 3.5, 0, .infinity, -0.25]),
        "a.num_batches_tracked": NamedTensor(shape: [], ints: [7]),
    ]

    @Test func roundTripsFloatsIntsAndMetadata() throws {
        let bytes = try SafeTensors.encode(tensors, metadata: ["format": "pt"])
        let (back, meta) = try SafeTensors.parse(bytes, path: "x.safetensors")
        #expect(back == tensors && meta["format"] == "pt")
        #expect((8 + Int(bytes[0]) + Int(bytes[1]) << 8) % 8 == 0)  // header padded to 8 bytes
    }

    @Test func everyTruncationAndCorruptionIsANamedError() throws {
        let bytes = try SafeTensors.encode(tensors)
        for cut in stride(from: 0, to: bytes.count, by: 3) {
            #expect(throws: ModelError.self) { _ = try SafeTensors.parse(Array(bytes[0..<cut]), path: "cut.safetensors") }
        }
        var lying = bytes
        lying[0] = 0xFF; lying[1] = 0xFF; lying[5] = 0x7F  // header length far beyond the file
        #expect { _ = try SafeTensors.parse(lying, path: "lying.safetensors") } throws: { "\($0)".contains("lying.safetensors") }
        var garbage = bytes
        for i in 8..<min(40, garbage.count) { garbage[i] = 0x41 }
        #expect(throws: ModelError.self) { _ = try SafeTensors.parse(garbage, path: "garbage.safetensors") }
    }

    @Test func readsTheGoldensWrittenByPython() throws {
        let t = try SafeTensors.read(Fixtures.url("goldens/model/unet32_norm_combined.batch.safetensors")).tensors
        #expect(t["input"]?.shape == [3, 2, 32, 32] && t["target"]?.shape == [3, 1, 32, 32])
    }
}
