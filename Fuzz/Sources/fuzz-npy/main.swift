import Foundation
import Ingest

/// NPY headers and bodies: any bytes are an NPYArray or an IngestError, never a trap or a
/// huge allocation; a parsed array converts to floats.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    if let array = try? NPYArray(data: data, path: "fuzz.npy"), array.count <= 1 << 20 {
        _ = array.floats()
    }
    return 0
}

// SwiftPM links an executable's entry point as `<module>_main`; libFuzzer's driver runs
// from there (its own main is not linked in then).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("fuzz_npy_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
