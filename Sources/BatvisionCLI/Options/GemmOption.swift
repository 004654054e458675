import ArgumentParser
import Model

/// `--gemm auto|openblas|onednn`: the library of the U-Net's matrix products (train, eval,
/// bench train). `auto` decides from the CPU's flags when the model is built.
struct GemmOption: ParsableArguments {
    @Option(name: .setting(\.gemm), help: .setting(\.gemm))
    var gemm: GemmEngine?

    func engine(_ r: inout SettingsResolver) throws -> GemmEngine {
        try r.value(\.gemm, flag: gemm)
    }
}
