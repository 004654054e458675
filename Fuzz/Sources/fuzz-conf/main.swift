import BatvisionCLI
import Foundation
import FuzzSupport

/// Conf YAML: settings or a SettingError naming the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    _ = try? ConfFile.parse(text, path: "fuzz.yaml")
    return 0
}

@_cdecl("fuzz_conf_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
