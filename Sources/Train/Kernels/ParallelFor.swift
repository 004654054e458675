import Foundation

/// Splits 0..<count into one contiguous range per core and runs `body` on each. Small
/// jobs (under `grain` items) run inline: a thread hand-off costs more than they do.
@inline(__always)
func parallelRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let parts = Swift.min(cores, count / Swift.max(grain, 1))
    if parts <= 1 { body(0..<count); return }
    DispatchQueue.concurrentPerform(iterations: parts) { p in
        body((count * p / parts)..<(count * (p + 1) / parts))
    }
}
