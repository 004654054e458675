import Foundation
import Support
import Testing
@testable import Model

@Suite struct ComputeEstimateTests {
    /// unet_256, ngf 64, batch 8 at 256x256: 285.7 GFLOP a step, 35.7 per sample (the
    /// figure behind "5.07 samples/s is about 181 GFLOP/s" in the speed issue).
    @Test func trainingFlopsOfUnet256() {
        let flops = UNetConfig(numDowns: 8, ngf: 64, depthNorm: true).trainingFlops(batch: 8, size: 256)
        #expect(abs(flops / 1e9 - 285.7495) < 0.01, "\(flops / 1e9)")
        // Linear in the batch; a level fewer on half the side is about a quarter of the work.
        #expect(UNetConfig(numDowns: 8, ngf: 64, depthNorm: true).trainingFlops(batch: 16, size: 256) == 2 * flops)
        let smaller = UNetConfig(numDowns: 7, ngf: 64, depthNorm: true).trainingFlops(batch: 8, size: 128)
        #expect(smaller / flops > 0.2 && smaller / flops < 0.3)
    }

    @Test func hostPeakReadsTheCPU() {
        let p = HostPeak.current(cores: 2)
        #expect([4, 8, 16].contains(p.lanes) && p.gigahertz > 0.1 && p.gflops == 2 * 2 * Double(p.lanes) * 2 * p.gigahertz)
    }

    /// The measured dense rate is a rate in GFLOP/s of the product asked for: above 0.05 and
    /// at most 3x the host's estimate (room for hosts that boost above the reported clock).
    /// Catches a unit or FLOP count off by 10x or more, not a factor of 2. n = 1024 takes the
    /// same path as `bench train`'s 2048: split across the two threads by us. The libraries
    /// take a fraction of the quarter second at 512 and so grow to the largest side; the
    /// portable kernel, unoptimised in a debug build, may stop smaller.
    @Test func denseGemmRateIsAPlausibleRate() {
        let par = Parallelism(workers: 2)
        for engine in [GemmEngine.openblas, .onednn, .portable] {
            let (rate, n) = DenseGemmRate.measure(Gemm(engine, par: par), maxN: 1024, reps: 1)
            #expect(engine == .portable ? [256, 512, 1024].contains(n) : n == 1024, "\(engine): side \(n)")
            #expect(rate > 0.05 && rate < 3 * HostPeak.current(cores: 2).gflops, "\(engine): \(rate) GFLOP/s")
        }
    }
}
