import Foundation
import CFFTW

/// A single-precision real-to-complex FFT of one size on FFTW.
///
/// FFTW's planner is not thread-safe, so a plan is made once (on the creating thread) and
/// each worker gets its own `Workspace`; executing a plan on other arrays of the same
/// alignment is thread-safe (`fftwf_execute_dft_r2c`).
public final class RealFFT: @unchecked Sendable {
    public let size: Int
    public var bins: Int { size / 2 + 1 }
    private let plan: fftwf_plan

    /// Input and output buffers owned by one thread.
    public final class Workspace {
        public let input: UnsafeMutablePointer<Float>
        public let output: UnsafeMutablePointer<fftwf_complex>
        let size: Int

        init(size: Int) {
            self.size = size
            // fftwf_malloc aligns like the planning buffers, which the new-array execute needs.
            input = fftwf_alloc_real(size)
            output = fftwf_alloc_complex(size / 2 + 1)
            input.initialize(repeating: 0, count: size)
        }

        deinit {
            fftwf_free(input)
            fftwf_free(output)
        }

        /// |X[k]| for k in 0..<bins, in float arithmetic (as torch takes abs of a complex64 STFT).
        public func magnitude(_ k: Int) -> Float {
            let re = output[k].0, im = output[k].1
            return (re * re + im * im).squareRoot()
        }
    }

    public init(size: Int) {
        self.size = size
        let ws = Workspace(size: size)
        // FFTW_ESTIMATE: deterministic plans (MEASURE may pick different algorithms per run).
        Self.planner.lock()
        plan = fftwf_plan_dft_r2c_1d(Int32(size), ws.input, ws.output, UInt32(FFTW_ESTIMATE))
        Self.planner.unlock()
    }

    deinit {
        Self.planner.lock()
        fftwf_destroy_plan(plan)
        Self.planner.unlock()
    }

    /// FFTW's planner (creating and destroying plans) is not thread-safe, and extractors
    /// are built on several threads (tests in parallel, workers): one lock for the process,
    /// as FFTW's planner state is the process's too. Executing a plan needs no lock.
    private static let planner = NSLock()

    public func makeWorkspace() -> Workspace { Workspace(size: size) }

    /// Transforms `ws.input` into `ws.output`.
    public func execute(_ ws: Workspace) {
        fftwf_execute_dft_r2c(plan, ws.input, ws.output)
    }
}
