import Testing
@testable import Model

@Suite struct FloatBufferTests {
    /// A short batch between full ones keeps the full ones' room: no new allocation.
    @Test func shrinkingKeepsTheRoomForTheNextFullBatch() {
        let b = FloatBuffer(count: 0)
        b.ensure(1000)
        let first = b.pointer
        b.ensure(600)
        #expect(b.count == 600 && b.capacity == 1000 && b.pointer == first)
        b.ensure(1000)
        #expect(b.count == 1000 && b.pointer == first)
        b.ensure(1500)
        #expect(b.count == 1500 && b.capacity == 1500)
    }
}
