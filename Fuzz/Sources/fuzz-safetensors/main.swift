import Foundation
import FuzzSupport
import Model
import Train

/// Checkpoints: safetensors framing, tensors and our metadata; then, as eval does, the
/// U-Net shape a metadata-less state_dict describes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let (tensors, metadata) = try? SafeTensors.parse(Array(UnsafeBufferPointer(start: bytes, count: count)), path: "fuzz.safetensors") else { return 0 }
    if let json = metadata["batvision"] {
        _ = try? Checkpoint.info(fromMetadata: json, path: "fuzz.safetensors")
    } else {
        _ = try? UNetConfig.inferred(from: tensors, depthNorm: false, source: "fuzz.safetensors")
    }
    return 0
}

@_cdecl("fuzz_safetensors_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
