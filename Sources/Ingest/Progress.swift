import Foundation

/// Progress with rate and ETA on stderr when it is a terminal; silent otherwise
/// (logs and CI stay clean). Safe to call from several threads.
public final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let enabled: Bool
    private let start = Date()
    private let lock = NSLock()
    private var done = 0
    private var lastPrint = Date.distantPast

    public init(label: String, total: Int, enabled: Bool = isatty(STDERR_FILENO) != 0) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    public func advance(by n: Int = 1) {
        lock.lock()
        done += n
        let now = Date()
        let shouldPrint = enabled && (now.timeIntervalSince(lastPrint) > 0.1 || done == total)
        if shouldPrint { lastPrint = now }
        let count = done
        lock.unlock()
        if shouldPrint { draw(count, now) }
    }

    public func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    public var elapsed: TimeInterval { Date().timeIntervalSince(start) }

    private func draw(_ count: Int, _ now: Date) {
        let seconds = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(count) / seconds
        let eta = rate > 0 ? Double(total - count) / rate : 0
        let pct = total > 0 ? 100 * count / total : 100
        let line = String(format: "\r%@ %d/%d (%d%%) %.1f/s ETA %@   ", label, count, total, pct, rate, formatDuration(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }
}

public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}
