import Dispatch

/// Elapsed seconds on the monotonic clock since it was made: the figure benchmarks and the
/// trainer's epoch and progress times report (wall-clock jumps do not reach it).
public struct Stopwatch: Sendable {
    private let start = DispatchTime.now().uptimeNanoseconds

    public init() {}

    public var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
