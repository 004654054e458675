import Foundation

/// How many threads a stage may use (`--threads N`; default every core). Passed
/// explicitly to whatever computes in parallel: no process-wide setting.
public struct Parallelism: Sendable, Equatable {
    public let workers: Int

    public init(workers: Int) { self.workers = Swift.max(1, workers) }

    /// Every core the process may run on.
    public static var allCores: Parallelism { Parallelism(workers: ProcessInfo.processInfo.activeProcessorCount) }

    /// The thread counts `--threads` accepts: up to 4 per core.
    public static var workerCounts: ClosedRange<Int> { 1...(4 * Swift.max(ProcessInfo.processInfo.activeProcessorCount, 1)) }

    /// `--threads N` (nil: every core), checked against `workerCounts`.
    public static func threads(_ n: Int?) throws -> Parallelism {
        guard let n else { return .allCores }
        guard workerCounts.contains(n) else {
            throw SettingViolation("threads", n, expected: "a value from 1 to \(workerCounts.upperBound)")
        }
        return Parallelism(workers: n)
    }

    /// Splits 0..<count into at most `workers` contiguous ranges and runs `body` on each.
    /// Small jobs (fewer than two `grain`s) run inline: a thread hand-off costs more.
    @inline(__always)
    public func ranges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = Swift.min(workers, count / Swift.max(grain, 1))
        if parts <= 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            body((count * p / parts)..<(count * (p + 1) / parts))
        }
    }

    /// `body(i)` for i in 0..<count on at most `workers` threads, each taking the next
    /// index when it finishes one (slow items do not leave a thread idle); results in index order.
    /// A single item (or a single worker) runs inline: a thread hand-off costs more.
    public func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        if count <= 1 || workers == 1 { return (0..<Swift.max(count, 0)).map(body) }
        var results = [T?](repeating: nil, count: count)
        let queue = IndexQueue()
        results.withUnsafeMutableBufferPointer { out in
            let base = out  // each index is written by exactly one thread
            DispatchQueue.concurrentPerform(iterations: Swift.min(workers, Swift.max(count, 1))) { _ in
                while let i = queue.take(below: count) { base[i] = body(i) }
            }
        }
        return results.map { $0! }
    }
}

/// Hands out 0, 1, 2, ... to whichever thread asks next.
public final class IndexQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    public init() {}

    public func take(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}
