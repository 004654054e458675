import Foundation

/// An exclusive advisory lock (flock) on a lock file, held until `release()` or deinit:
/// two processes writing the same cache, shard or run would corrupt each other's files, so
/// the second one is refused, naming the holder. The kernel drops the lock when the holder
/// dies, so a killed run never leaves a stale lock behind.
public final class FileLock {
    public let url: URL
    private var fd: Int32

    /// Takes the lock or throws `FileLockError.busy` at once (never waits).
    public init(_ url: URL, purpose: String) throws {
        self.url = url
        try createDirectory(url.deletingLastPathComponent())
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError.write(path: url.path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? nil : String(cString: strerror(errno))
            var holder = ""
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pread(fd, &buffer, buffer.count, 0)
            if n > 0 { holder = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            close(fd)
            fd = -1
            if let reason { throw FileError.write(path: url.path, reason: "cannot lock: \(reason)") }
            throw FileLockError.busy(path: url.path, purpose: purpose, holder: holder)
        }
        // Who holds it, for the message the next one sees.
        let note = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

public enum FileLockError: ReportableError, Equatable {
    case busy(path: String, purpose: String, holder: String)

    public var description: String {
        switch self {
        case let .busy(path, purpose, holder):
            return "\(path): another process is \(purpose)\(holder.isEmpty ? "" : " (\(holder))"); wait for it to finish, then run again"
        }
    }
}
