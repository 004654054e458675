import Foundation
import FuzzSupport
import Ingest

/// Manifest JSON: a manifest or an IngestError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    if let m = try? Manifest.decode(Data(bytes: bytes, count: count), path: "fuzz.json") {
        _ = m.samples(in: .train).count
    }
    return 0
}

@_cdecl("fuzz_manifest_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
