import ArgumentParser
import Model

/// `--gemm auto|openblas|onednn`: the library of the U-Net's matrix products (train, eval,
/// bench train). `auto` decides from the CPU's flags when the model is built.
struct GemmOption: ParsableArguments {
    @Option(name: .customLong("gemm"), help: ArgumentHelp("The library of the convolutions' matrix products (default: conf `gemm`, else auto).",
                                                          discussion: "auto: oneDNN on CPUs with AVX-512, OpenBLAS otherwise (docs/benchmarks.md)."))
    var gemm: GemmEngine?

    func engine(_ r: inout SettingsResolver) throws -> GemmEngine {
        try r.value("gemm", flag: gemm)
    }
}
