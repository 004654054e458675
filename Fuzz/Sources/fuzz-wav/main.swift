import Foundation
import FuzzSupport
import Ingest

/// WAV (and anything else) through our libsndfile wrapper: a clip or an IngestError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? AudioDecoder.decode(Data(bytes: bytes, count: count), path: "fuzz.wav")
    return 0
}

@_cdecl("fuzz_wav_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
