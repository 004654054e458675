import Foundation
import Ingest
import Support
import Train

/// Resolves settings once, at the command line: the table's built-in defaults, then the
/// command's conf files in order (`conf/dataset/<dataset>.yaml` first), then the flags,
/// each later one winning; every value parsed into its type here and recorded with its
/// origin for the run log. Rules on the values belong to the domain types; `checked`
/// turns their refusals into errors that say where the refused value came from.
struct SettingsResolver {
    static let commandLine = "command line"
    static let builtIn = "built-in"

    /// Values from the defaults and conf files, as text, with where they came from.
    private var layers: [String: (text: String, origin: String)] = [:]
    /// What was resolved, in order, for `logs/<run>/config.yaml` and checkpoints.
    private(set) var resolved: [ResolvedSetting] = []
    /// The project's folder, which relative paths of conf files and defaults are under.
    let home: ProjectHome?

    /// The resolver of `--conf_dir` (which must exist when given), else of the project's
    /// `conf/` (`ProjectHome`); with neither the built-in defaults stand alone, and a note
    /// on stderr says so.
    static func forConfDir(_ given: String?, dataset: DatasetKind, command: SettingCommand) throws -> SettingsResolver {
        let home = try ProjectHome.find()
        if let given {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: given, isDirectory: &isDir), isDir.boolValue else {
                throw SettingError.invalid(key: "conf_dir", value: given, origin: commandLine, expected: "a folder of conf files")
            }
            return try SettingsResolver(dataset: dataset, confDir: URL(fileURLWithPath: given), files: command.confFiles, home: home)
        }
        guard let home else {
            warn("note: no conf folder (BATVISION_HOME is not set, and no folder at or above \(FileManager.default.currentDirectoryPath) holds conf/dataset/): the built-in defaults apply, relative paths under the working directory")
            return try SettingsResolver(dataset: dataset, confDir: nil, files: command.confFiles, home: nil)
        }
        return try SettingsResolver(dataset: dataset, confDir: home.confDir, files: command.confFiles, home: home)
    }

    init(dataset: DatasetKind, confDir: URL?, files: [String], home: ProjectHome? = nil) throws {
        self.home = home
        for (k, v) in SettingTable.builtIn(dataset) { layers[k] = (v, Self.builtIn) }
        for rel in ["dataset/\(dataset.rawValue).yaml"] + files {
            guard let url = confDir?.appendingPathComponent(rel) else { break }
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            for (k, v) in try ConfFile.read(url) { layers[k] = (v.text, "\(url.path):\(v.line)") }
        }
        record("dataset", dataset.rawValue, origin: Self.commandLine)
    }

    /// The flag's value when given, else the conf files' (or the default), parsed as `V`.
    mutating func value<V>(_ setting: KeyPath<SettingTable, Setting<V>>, flag: V?) throws -> V {
        let key = SettingTable.shared[keyPath: setting].spec.key
        if let flag {
            record(key, flag.settingText, origin: Self.commandLine)
            return flag
        }
        guard let (text, origin) = layers[key] else { throw SettingError.missing(key: key) }
        guard let parsed = V(settingText: text) else {
            throw SettingError.invalid(key: key, value: text, origin: origin, expected: V.expected)
        }
        record(key, text, origin: origin)
        return parsed
    }

    /// A path setting: a flag's as typed (relative to the working directory); a conf
    /// file's or the built-in default's under the project's home (`ProjectHome`), recorded
    /// as the full path.
    mutating func path(_ setting: KeyPath<SettingTable, Setting<String>>, flag: String?) throws -> URL {
        let text = try value(setting, flag: flag)
        guard flag == nil else { return URL(fileURLWithPath: text) }
        let url = homePath(text, home)
        record(SettingTable.shared[keyPath: setting].spec.key, url.path, origin: origin(of: SettingTable.shared[keyPath: setting].spec.key))
        return url
    }

    /// A setting that may be `null`.
    mutating func optional<W>(_ setting: KeyPath<SettingTable, Setting<Nullable<W>>>, flag: Nullable<W>?) throws -> W? {
        try value(setting, flag: flag).optional
    }

    /// A boolean setting (conf text, a `true|false` flag, or a `--key` / `--no_key` switch).
    mutating func bool(_ setting: KeyPath<SettingTable, Setting<BoolSetting>>, flag: Bool?) throws -> Bool {
        try value(setting, flag: flag.map(BoolSetting.init)).value
    }

    /// Runs `body`, which builds or checks domain values, turning a `SettingViolation` into
    /// an error that names where the refused value came from: a usage error (exit 64) when
    /// the value was a flag, an error naming the conf file and line otherwise.
    func checked<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let violation as SettingViolation {
            if violation.keys.count == 1, let key = violation.keys.first {
                let value = resolved.last { $0.key == key }?.value ?? violation.value
                throw SettingError.invalid(key: key, value: value, origin: origin(of: key), expected: violation.expected)
            }
            let origins = violation.keys.compactMap { key in resolved.last { $0.key == key }.map { "\(key) from \($0.origin)" } }
            throw SettingError.combination(violation.description + (origins.isEmpty ? "" : " (" + origins.joined(separator: ", ") + ")"),
                                           fromCommandLine: violation.keys.contains { origin(of: $0) == Self.commandLine })
        }
    }

    /// Whether a conf file (not the built-in defaults) sets `key`.
    func confFileSets(_ key: String) -> Bool { (layers[key]?.origin).map { $0 != Self.builtIn } ?? false }

    /// Where the resolved value of `key` came from.
    func origin(of key: String) -> String { resolved.last { $0.key == key }?.origin ?? "?" }

    /// Records a value settled elsewhere (a path derived from another setting).
    mutating func record(_ key: String, _ value: String, origin: String) {
        resolved.removeAll { $0.key == key }
        resolved.append(ResolvedSetting(key: key, value: value, origin: origin))
    }
}
