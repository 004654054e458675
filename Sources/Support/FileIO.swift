import Foundation

/// A file that could not be read or written, with the path and the system's reason.
public enum FileError: ReportableError, Equatable, LocalizedError {
    case unreadable(path: String, reason: String)
    case write(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .write(path, reason): return "\(path): cannot write: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// An error the tool reports as a plain message: every error type of the tool conforms,
/// and the command line prints its description and exits 2.
public protocol ReportableError: Error, CustomStringConvertible {}

/// A readable reason for any error: ours as they describe themselves, Foundation's as the
/// system's words (not an "NSCocoaErrorDomain Code=642" dump).
public func plainReason(_ error: Error) -> String {
    if let own = error as? ReportableError { return own.description }
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    return ns.localizedFailureReason ?? ns.localizedDescription
}

/// Reads a whole file, mapping failures to `FileError.unreadable` with the path.
public func readFile(_ url: URL) throws -> Data {
    var buffer: [UInt8] = []
    let n = try readFile(url, into: &buffer)
    return Data(buffer[0..<n])
}

/// Reads a whole file into `buffer` (grown when needed, reused across calls): no fresh
/// allocation per file on hot paths. Returns the byte count. Plain reads, not a memory
/// map: a file that shrinks meanwhile is an error, not a SIGBUS.
public func readFile(_ url: URL, into buffer: inout [UInt8]) throws -> Int {
    // Non-blocking open: a FIFO put where a file was would otherwise wait for a writer forever.
    let fd = open(url.path, O_RDONLY | O_NONBLOCK)
    guard fd >= 0 else { throw FileError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw FileError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
        let what = (st.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file"
        throw FileError.unreadable(path: url.path, reason: "\(what), expected a file")
    }
    let size = Int(st.st_size)
    if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
    var done = 0
    try buffer.withUnsafeMutableBytes { raw in
        guard let base = raw.baseAddress else { return }
        while done < size {
            let n = read(fd, base + done, size - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileError.unreadable(path: url.path, reason: n == 0 ? "file shrank while reading" : String(cString: strerror(errno))) }
            done += n
        }
    }
    return size
}

/// Writes `data` atomically (temporary file + rename), naming the path on failure.
public func writeFile(_ data: Data, to url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: [.atomic])
    } catch {
        throw FileError.write(path: url.path, reason: plainReason(error))
    }
}

/// Creates a folder (and its parents), naming it on failure.
public func createDirectory(_ url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw FileError.write(path: url.path, reason: plainReason(error))
    }
}
