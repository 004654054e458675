import Foundation

/// A float buffer owned explicitly (llm.c style): allocated once, reused every step, freed
/// with its owner. Kernels take its pointer; no copy-on-write or exclusivity checks in loops.
public final class FloatBuffer: @unchecked Sendable {
    public private(set) var count: Int
    public private(set) var pointer: UnsafeMutablePointer<Float>
    /// Floats allocated: a smaller batch (an epoch's or split's last) keeps the room of the
    /// larger ones, so the next full batch does not allocate and fault in fresh pages again.
    public private(set) var capacity: Int

    public init(count: Int) {
        self.count = count
        capacity = Swift.max(count, 1)
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Makes room for `n` floats (contents undefined after a grow).
    public func ensure(_ n: Int) {
        guard n > capacity else { count = n; return }
        pointer.deallocate()
        pointer = .allocate(capacity: n)
        pointer.initialize(repeating: 0, count: n)
        count = n
        capacity = n
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func copy(from values: [Float]) {
        precondition(values.count == count, "FloatBuffer.copy: size mismatch")
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: count) }
        }
    }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
