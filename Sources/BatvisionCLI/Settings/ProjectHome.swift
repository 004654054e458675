import Foundation
import Support

/// The folder a project's relative paths mean: `BATVISION_HOME` when set, else the nearest
/// folder at or above the working directory that holds `conf/dataset/` (a checkout, or a
/// project laid out like one). Conf files are read from `<home>/conf`, and the relative
/// paths of conf files and built-in defaults (`out/cache`, `data-manifests/...`, `stats`)
/// are under it, so a command started in a subfolder finds the same files as one started
/// at the top. Paths given as flags stay relative to the working directory, as typed.
/// Without a home the built-in defaults stand alone, and the commands say so.
struct ProjectHome: Equatable {
    let url: URL

    /// The home of this process, or nil.
    static func find(environment: [String: String] = ProcessInfo.processInfo.environment,
                     from start: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> ProjectHome? {
        if let given = environment["BATVISION_HOME"], !given.isEmpty {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: given, isDirectory: &isDir), isDir.boolValue else {
                throw SettingError.invalid(key: "BATVISION_HOME", value: given, origin: "the environment", expected: "a folder (the project's, holding conf/)")
            }
            return ProjectHome(url: URL(fileURLWithPath: given).standardizedFileURL)
        }
        var folder = start.standardizedFileURL
        while true {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("conf/dataset").path, isDirectory: &isDir), isDir.boolValue {
                return ProjectHome(url: folder)
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return nil }
            folder = parent
        }
    }

    var confDir: URL { url.appendingPathComponent("conf") }

    /// A path from a conf file or a built-in default: under the home when relative.
    func resolve(_ path: String) -> URL {
        (path.hasPrefix("/") ? URL(fileURLWithPath: path) : url.appendingPathComponent(path)).standardizedFileURL
    }
}

/// Where relative paths from conf files and defaults point: the home, else the working directory.
func homePath(_ path: String, _ home: ProjectHome?) -> URL {
    home?.resolve(path) ?? URL(fileURLWithPath: path)
}
