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

    /// Each refusal says what is wrong: a header longer than the file, a header over the
    /// size a header may have (a 99 MB one in a file that holds it was called "exceeds the
    /// file"), JSON that does not parse (a deeply nested one was "not a JSON object"), and
    /// JSON that is not an object.
    @Test func refusalsSayWhatIsWrong() throws {
        func header(_ length: UInt64, _ json: [UInt8], total: Int? = nil) -> [UInt8] {
            var bytes = withUnsafeBytes(of: length.littleEndian) { Array($0) } + json
            if let total { bytes += [UInt8](repeating: 0x20, count: total - bytes.count) }
            return bytes
        }
        func refusal(_ bytes: [UInt8]) -> String {
            do { _ = try SafeTensors.parse(bytes, path: "f.safetensors"); return "accepted" } catch { return "\(error)" }
        }
        #expect(refusal(header(200, Array("{}".utf8))).contains("header length 200 runs past the end of the file (2 bytes follow the length)"))
        let big = refusal(header(103_809_024, [], total: 104_855_236))
        #expect(big.contains("a header of 103809024 bytes, more than the 100000000 a header may have") && !big.contains("exceeds"), "\(big)")
        let nested = Array((String(repeating: "{\"a\":", count: 3000) + "1" + String(repeating: "}", count: 3000)).utf8)
        let deep = refusal(header(UInt64(nested.count), nested))
        #expect(deep.contains("not valid JSON (") && deep.contains("f.safetensors"), "\(deep)")
        let array = Array("[1, 2]".utf8)
        #expect(refusal(header(UInt64(array.count), array)).contains("JSON but not an object of tensors (it is an array)"))
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
