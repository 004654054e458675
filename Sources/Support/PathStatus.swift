import Foundation

/// Whether a path names something, told apart from why it cannot be reached: a symlink
/// loop or an over-long name is not "missing".
public enum PathStatus: Equatable {
    case exists
    case missing
    case unreachable(String)

    public init(_ url: URL) {
        var st = stat()
        if stat(url.path, &st) == 0 { self = .exists; return }
        switch errno {
        case ENOENT, ENOTDIR: self = .missing
        case ELOOP: self = .unreachable("a loop of symbolic links")
        case ENAMETOOLONG: self = .unreachable("the name is longer than the file system allows")
        default: self = .unreachable(String(cString: strerror(errno)))
        }
    }
}
