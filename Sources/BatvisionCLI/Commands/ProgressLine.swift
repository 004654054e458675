import Foundation
import Support
import Train

/// The line `train` redraws in place on a terminal (batch k/n, samples/s, loss, ETAs), at
/// most a few times a second; off a terminal it draws nothing and the per-epoch lines stand alone.
final class ProgressLine {
    let enabled: Bool
    private var shown = false
    private var last: UInt64 = 0

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ text: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard !shown || now - last >= 200_000_000 else { return }
        last = now
        shown = true
        print("\r\(text)\u{1B}[K", terminator: "")
        fflush(stdout)
    }

    /// Removes the line before a normal line is printed.
    func clear() {
        guard shown else { return }
        shown = false
        print("\r\u{1B}[K", terminator: "")
        fflush(stdout)
    }
}
