import Foundation
import FuzzSupport
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

@_cdecl("fuzz_npy_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
