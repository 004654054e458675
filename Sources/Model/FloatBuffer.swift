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
        pointer = Self.allocate(capacity)
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Zeroed floats on a 64-byte boundary (a cache line, one AVX-512 vector): where malloc's
    /// 16-byte alignment fell varied from run to run, and with it how many of the kernels'
    /// vector loads straddled two lines.
    private static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * MemoryLayout<Float>.stride, alignment: 64)
        return raw.initializeMemory(as: Float.self, repeating: 0, count: n)
    }

    /// Makes room for `n` floats (contents undefined after a grow).
    public func ensure(_ n: Int) {
        guard n > capacity else { count = n; return }
        pointer.deallocate()
        pointer = Self.allocate(n)
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
