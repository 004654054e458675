import Foundation
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

// SwiftPM links an executable's entry point as `<module>_main`; libFuzzer's driver runs
// from there (its own main is not linked in then).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("fuzz_safetensors_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
