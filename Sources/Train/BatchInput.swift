import Cache
import Model

extension ModelInput {
    /// A cached batch's model input into `buffer` (grown as needed).
    public func prepare(_ batch: Batch, into buffer: FloatBuffer) {
        buffer.ensure(batch.count * floatsPerSample)
        batch.audio.withUnsafeBufferPointer { a in
            if let base = a.baseAddress { prepare(base, count: batch.count, into: buffer.pointer) }
        }
    }
}
