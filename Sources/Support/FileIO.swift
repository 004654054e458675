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

/// The largest file read whole (a dataset's NPY, WAV and CSV files, manifests, conf files,
/// checkpoints): far above any of them, far below what a sparse or hostile file could claim.
public let maxFileBytes = 8 << 30

/// Reads a whole file, mapping failures to `FileError.unreadable` with the path.
public func readFile(_ url: URL, limit: Int = maxFileBytes) throws -> Data {
    var buffer: [UInt8] = []
    let n = try readFile(url, into: &buffer, limit: limit)
    return Data(buffer[0..<n])
}

/// Reads a whole file into `buffer` (grown when needed, reused across calls): no fresh
/// allocation per file on hot paths. Returns the byte count. Plain reads, not a memory
/// map: a file that shrinks meanwhile is an error, not a SIGBUS.
public func readFile(_ url: URL, into buffer: inout [UInt8], limit: Int = maxFileBytes) throws -> Int {
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
    guard size <= max(limit, 0) else {
        throw FileError.unreadable(path: url.path, reason: "\(size) bytes, more than the \(max(limit, 0)) this file may have")
    }
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

/// Writes `data` atomically (`AtomicFileWriter`): a crash leaves the old file or the new
/// one, never half of one. Names the path on failure.
public func writeFile(_ data: Data, to url: URL) throws {
    let writer = try AtomicFileWriter(url)
    try data.withUnsafeBytes { try writer.write($0) }
    try writer.commit()
}

/// A file written atomically, in pieces: to `.<name>.partial-<pid>` beside it, flushed to
/// disk, then renamed over the file on `commit()`; a crash leaves the old file or the new
/// one, never half of one (and at most a temporary that `removeStaleTemporaries`
/// recognises). Without `commit()` the temporary is removed. Lets large files (checkpoints)
/// be written from their buffers without a copy of the whole file in memory.
public final class AtomicFileWriter {
    public let url: URL
    private let temporary: URL
    private var fd: Int32
    private var committed = false

    public init(_ url: URL) throws {
        self.url = url
        let folder = url.deletingLastPathComponent()
        try createDirectory(folder)
        temporary = folder.appendingPathComponent(".\(url.lastPathComponent)\(temporaryMarker)\(getpid())")
        fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError.write(path: url.path, reason: String(cString: strerror(errno))) }
    }

    deinit {
        guard !committed else { return }
        if fd >= 0 { close(fd) }
        unlink(temporary.path)
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = Foundation.write(fd, base + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw fail(String(cString: strerror(errno))) }
            done += n
        }
    }

    /// Flushes the file and puts it in place of `url`.
    public func commit() throws {
        if fsync(fd) != 0 { throw fail(String(cString: strerror(errno))) }
        close(fd)
        fd = -1
        guard rename(temporary.path, url.path) == 0 else { throw fail(String(cString: strerror(errno))) }
        committed = true
        // The rename itself reaches the disk only with its folder.
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    /// The error of a failed write; the temporary goes.
    private func fail(_ reason: String) -> FileError {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporary.path)
        committed = true  // nothing left for deinit to clean up
        return FileError.write(path: url.path, reason: reason)
    }
}

/// What `writeFile` puts between a file's name and its writer's pid in a temporary name.
let temporaryMarker = ".partial-"

/// Removes temporaries that `writeFile` left in `folder` when its process was killed.
/// Call it only where no other process writes (under the folder's lock).
public func removeStaleTemporaries(in folder: URL) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    for name in names where name.hasPrefix(".") && name.contains(temporaryMarker) {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
    }
}

/// Creates a folder (and its parents), naming the part that could not be made and why
/// (a file in the way, no permission, a read-only or full file system).
public func createDirectory(_ url: URL) throws {
    var path = ""
    for component in url.standardizedFileURL.pathComponents {
        path = path.isEmpty ? component : (path == "/" ? "/" + component : path + "/" + component)
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw FileError.write(path: url.path, reason: "\(path) is a file, not a folder")
            }
            continue
        }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw FileError.write(path: url.path, reason: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }
}
