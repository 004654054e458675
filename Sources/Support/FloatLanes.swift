/// Eight floats at a time from and to float pointers, unaligned: the one spelling the
/// vector kernels share. Inlinable, so the loads stay single instructions in other modules.
extension UnsafePointer where Pointee == Float {
    /// self[i ..< i + 8].
    @inlinable @inline(__always)
    public func load8(at i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// self[i ..< i + 8].
    @inlinable @inline(__always)
    public func load8(at i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// self[i ..< i + 8] = v.
    @inlinable @inline(__always)
    public func store8(_ v: SIMD8<Float>, at i: Int) {
        UnsafeMutableRawPointer(self + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
