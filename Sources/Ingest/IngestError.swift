import Foundation

/// Everything that can be wrong with a dataset on disk. Each case names the file (and the
/// CSV line where there is one) and says what was expected, so a user can act on it.
public enum IngestError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case npy(path: String, reason: String)
    case audio(path: String, reason: String)
    case csv(path: String, line: Int, reason: String)
    case pathEscapesRoot(csv: String, line: Int, value: String)
    case layout(path: String, reason: String)
    case manifest(path: String, reason: String)
    case write(path: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .npy(path, reason): return "\(path): not a valid .npy file: \(reason)"
        case let .audio(path, reason): return "\(path): audio: \(reason)"
        case let .csv(path, line, reason): return "\(path), line \(line): \(reason)"
        case let .pathEscapesRoot(csv, line, value):
            return "\(csv), line \(line): path '\(value)' leaves the dataset root (absolute, '..' or a symlink pointing out)"
        case let .layout(path, reason): return "\(path): \(reason)"
        case let .manifest(path, reason): return "\(path): manifest: \(reason)"
        case let .write(path, reason): return "\(path): cannot write: \(reason)"
        case let .invalidArgument(message): return message
        }
    }
}

extension IngestError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Reads a whole file, mapping failures to `IngestError.unreadable` with the path.
public func readFile(_ url: URL) throws -> Data {
    do {
        return try Data(contentsOf: url, options: [.mappedIfSafe])
    } catch {
        let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
        throw IngestError.unreadable(path: url.path, reason: reason)
    }
}

/// Reads a whole file into `buffer` (grown when needed, reused across calls): no fresh
/// allocation per file on hot paths. Returns the byte count.
public func readFile(_ url: URL, into buffer: inout [UInt8]) throws -> Int {
    let fd = open(url.path, O_RDONLY)
    guard fd >= 0 else { throw IngestError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw IngestError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
    let size = Int(st.st_size)
    if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
    var done = 0
    try buffer.withUnsafeMutableBytes { raw in
        guard let base = raw.baseAddress else { return }
        while done < size {
            let n = read(fd, base + done, size - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw IngestError.unreadable(path: url.path, reason: n == 0 ? "file shrank while reading" : String(cString: strerror(errno))) }
            done += n
        }
    }
    return size
}

/// Writes `data` atomically (temporary file + rename), naming the path on failure.
public func writeFile(_ data: Data, to url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try data.write(to: url, options: [.atomic])
    } catch {
        throw IngestError.write(path: url.path, reason: error.localizedDescription)
    }
}
