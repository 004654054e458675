/// Which library multiplies the convolutions' matrices (`--gemm`, conf key `gemm`).
/// `auto` picks by what the CPU offers when the model is built, not when it is compiled.
/// `portable` is our own code (`PortableGemm`): the same bits on every host, what
/// `--deterministic` pins; `auto` never picks it.
public enum GemmEngine: String, Sendable, CaseIterable {
    case auto, openblas, onednn, portable

    /// The library `auto` stands for on `cpu`; an explicit choice stands for itself.
    ///
    /// With AVX-512, oneDNN: Debian's OpenBLAS 0.3.21 runs its AVX2 (Haswell) kernels on
    /// such hosts (OPENBLAS_CORETYPE is pinned there), while oneDNN's JIT uses AVX-512:
    /// 444-483 GFLOP/s against 235-251 for n = 512-2048 on a 2-core AVX-512 EPYC (issue 12).
    /// With AVX2 only, both run 256-bit FMA kernels; measured on the U-Net's own products
    /// and training steps (docs/benchmarks.md) OpenBLAS is as fast or faster, so it stays.
    public func resolved(on cpu: CPUFeatures = .current) -> GemmEngine {
        guard self == .auto else { return self }
        return cpu.hasAVX512F ? .onednn : .openblas
    }
}
