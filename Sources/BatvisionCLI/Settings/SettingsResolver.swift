import Foundation
import Ingest
import Support
import Train

/// Resolves settings once, at the command line: built-in defaults, then the conf files in
/// order (`conf/dataset/<dataset>.yaml` first), then the flags, each later one winning;
/// every value parsed into its type here and recorded with its origin for the run log.
struct SettingsResolver {
    static let commandLine = "command line"
    static let builtIn = "built-in"

    /// Values from the defaults and conf files, as text, with the file they came from.
    private var layers: [String: (text: String, origin: String)] = [:]
    /// What was resolved, in order, for `logs/<run>/config.yaml` and checkpoints.
    private(set) var resolved: [ResolvedSetting] = []

    /// The resolver of `--conf_dir` (which must exist when given) or of `conf/` (used when
    /// it exists: outside a checkout the built-in defaults stand alone).
    static func forConfDir(_ given: String?, dataset: DatasetKind, files: [String]) throws -> SettingsResolver {
        var isDir: ObjCBool = false
        if let given, !(FileManager.default.fileExists(atPath: given, isDirectory: &isDir) && isDir.boolValue) {
            throw SettingError.invalid(key: "conf_dir", value: given, origin: commandLine, expected: "a folder of conf files")
        }
        return try SettingsResolver(dataset: dataset, confDir: URL(fileURLWithPath: given ?? "conf"), files: files)
    }

    init(dataset: DatasetKind, confDir: URL, files: [String]) throws {
        for (k, v) in BuiltInDefaults.values(dataset) { layers[k] = (v, Self.builtIn) }
        for rel in ["dataset/\(dataset.rawValue).yaml"] + files {
            let url = confDir.appendingPathComponent(rel)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            for (k, v) in try ConfFile.read(url) { layers[k] = (v, url.path) }
        }
        record("dataset", dataset.rawValue, origin: Self.commandLine)
    }

    /// The flag's value when given, else the conf files' (or the default), parsed as `T`.
    mutating func value<T: SettingValue>(_ key: String, flag: T?) throws -> T {
        if let flag {
            record(key, flag.settingText, origin: Self.commandLine)
            return flag
        }
        guard let (text, origin) = layers[key] else { throw SettingError.missing(key: key) }
        guard let parsed = T(settingText: text) else {
            throw SettingError.invalid(key: key, value: text, origin: origin, expected: T.expected)
        }
        record(key, text, origin: origin)
        return parsed
    }

    /// A setting that may be `null`.
    mutating func optional<T: SettingValue>(_ key: String, flag: Nullable<T>?) throws -> T? {
        try value(key, flag: flag).optional
    }

    /// A boolean setting (conf text or a `BoolSetting` flag).
    mutating func bool(_ key: String, flag: Bool?) throws -> Bool {
        try value(key, flag: flag.map(BoolSetting.init)).value
    }

    /// A number that must lie in `range` (checked wherever it came from).
    mutating func number<T: SettingValue & Comparable>(_ key: String, flag: T?, in range: ClosedRange<T>) throws -> T {
        let v = try value(key, flag: flag)
        try require(key, v, range.contains(v), expected: "a value from \(range.lowerBound.settingText) to \(range.upperBound.settingText)")
        return v
    }

    /// Refuses the resolved `value` of `key` unless `holds`, naming where it came from.
    func require<T: SettingValue>(_ key: String, _ value: T, _ holds: Bool, expected: String) throws {
        guard holds else { throw SettingError.invalid(key: key, value: value.settingText, origin: origin(of: key), expected: expected) }
    }

    /// Runs `body`, turning the error of settings that do not go together into a
    /// `SettingError.combination` (a usage error when any of `keys` came from a flag).
    func combined<T>(_ keys: [String], _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ReportableError where !(error is SettingError) {
            throw SettingError.combination(error.description, fromCommandLine: keys.contains { origin(of: $0) == Self.commandLine })
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
