import ArgumentParser
import Model

/// `--gemm auto|openblas|onednn|portable` and `--deterministic`: the library of the U-Net's
/// matrix products (train, eval). `auto` decides from the CPU's flags when the model is
/// built; `--deterministic` pins `portable`, whose results are the same on every host.
struct GemmOption: ParsableArguments {
    @Option(name: .setting(\.gemm), help: .setting(\.gemm))
    var gemm: GemmEngine?

    @Flag(name: .setting(\.deterministic), inversion: .prefixedNo, help: .setting(\.deterministic))
    var deterministic: Bool?

    func engine(_ r: inout SettingsResolver) throws -> GemmEngine {
        let pinned = try r.bool(\.deterministic, flag: deterministic)
        let chosen = try r.value(\.gemm, flag: gemm)
        guard pinned else { return chosen }
        if let gemm, gemm != .portable {
            throw ValidationError("--gemm \(gemm.rawValue) contradicts --deterministic, which pins --gemm portable (the same bits on every host)")
        }
        return .portable
    }
}
