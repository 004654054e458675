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

    /// A --gemm flag other than portable beside --deterministic (from a flag or a conf file).
    private func refuseContradiction(deterministic pinned: Bool) throws {
        if pinned, let gemm, gemm != .portable {
            throw ValidationError("--gemm \(gemm.rawValue) contradicts --deterministic, which pins --gemm portable (the same bits on every host)")
        }
    }

    /// Both flags on the command line: refused while parsing.
    func validate() throws { try refuseContradiction(deterministic: deterministic == true) }

    /// The engine the flags alone give (bench: no conf files).
    var flagEngine: GemmEngine { deterministic == true ? .portable : gemm ?? .auto }

    /// The engine the flags and conf files give (train, eval).
    func engine(_ r: inout SettingsResolver) throws -> GemmEngine {
        let pinned = try r.bool(\.deterministic, flag: deterministic)
        let chosen = try r.value(\.gemm, flag: gemm)
        try refuseContradiction(deterministic: pinned)
        return pinned ? .portable : chosen
    }
}
