/// A learnable tensor under its PyTorch state_dict name, with its gradient.
public final class Parameter {
    public let name: String
    public let shape: [Int]
    public let value: FloatBuffer
    public let grad: FloatBuffer

    public init(name: String, shape: [Int], fill: Float = 0) {
        self.name = name
        self.shape = shape
        let n = shape.reduce(1, *)
        value = FloatBuffer(count: n)
        if fill != 0 { value.pointer.update(repeating: fill, count: n) }
        grad = FloatBuffer(count: n)
    }

    public var count: Int { value.count }
}

/// A non-learnable state_dict entry (BatchNorm running statistics).
public final class StateBuffer {
    public let name: String
    public let shape: [Int]
    public let value: FloatBuffer

    public init(name: String, shape: [Int], fill: Float) {
        self.name = name
        self.shape = shape
        value = FloatBuffer(count: shape.reduce(1, *))
        value.pointer.update(repeating: fill, count: value.count)
    }
}
