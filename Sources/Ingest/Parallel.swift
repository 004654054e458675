import Foundation

/// Runs `body(i)` for i in 0..<count on every core, results in index order.
public func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    var results = [T?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { out in
        let base = out  // each index is written by exactly one iteration
        DispatchQueue.concurrentPerform(iterations: count) { i in base[i] = body(i) }
    }
    return results.compactMap { $0 }
}
