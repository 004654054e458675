import Foundation
import Support
import Yams

/// One YAML conf file (`conf/dataset/<dataset>.yaml`, `conf/mode/*.yaml`,
/// `conf/model/*.yaml`): a flat mapping of setting keys (those of `SettingTable`) to
/// values, each value kept as text, with its line, until the setting that reads it parses it.
public enum ConfFile {
    /// A value as written: its text (a list's items joined by commas) and its line.
    struct Value: Equatable {
        var text: String
        var line: Int
    }

    static func read(_ url: URL) throws -> [String: Value] {
        try parseWithLines(String(decoding: try readFile(url, limit: 1 << 20), as: UTF8.self), path: url.path)
    }

    /// The settings of a conf file's text, as text; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> [String: String] {
        try parseWithLines(text, path: path).mapValues(\.text)
    }

    /// The settings of a conf file's text with their lines. The YAML is composed, not
    /// loaded: values are the scalars' own text (or flat lists of them), so aliases are
    /// never expanded into copies (a "billion laughs" file stays small).
    static func parseWithLines(_ text: String, path: String) throws -> [String: Value] {
        guard let node = try YAMLDocument.compose(text, path: path) else { return [:] }
        guard let map = node.mapping else {
            throw SettingError.conf(path: path, reason: "expected a mapping of settings (key: value)")
        }
        var out: [String: Value] = [:]
        for (keyNode, value) in map {
            let line = keyNode.mark?.line ?? 0
            guard let key = keyNode.scalar?.string else {
                throw SettingError.conf(path: path, reason: "line \(line): a setting's name must be plain text")
            }
            guard key.count <= 64, SettingTable.confKeys.contains(key) else {
                let hint = key.count <= 64 ? SettingKeys.suggestion(for: key) : ""
                throw SettingError.conf(path: path, reason: "line \(line): unknown setting '\(clipped(key, limit: 64))'\(hint); `batvision settings` lists them")
            }
            switch value {
            case let .scalar(scalar):
                out[key] = Value(text: scalar.string, line: line)  // `key:` with no value is "", which nullable settings read as null
            case let .sequence(list):
                var items: [String] = []
                for item in list {
                    guard let s = item.scalar?.string else {
                        throw SettingError.conf(path: path, reason: "line \(line): \(key): expected a value or a list of values")
                    }
                    items.append(s)
                }
                out[key] = Value(text: items.joined(separator: ","), line: line)
            default:
                throw SettingError.conf(path: path, reason: "line \(line): \(key): expected a value or a list of values, not a mapping")
            }
        }
        return out
    }
}

/// The nearest known key to a typo.
enum SettingKeys {
    /// " (did you mean 'epochs'?)" for a near miss.
    static func suggestion(for key: String) -> String {
        let near = SettingTable.all.map(\.key).min { distance($0, key) < distance($1, key) }
        guard let near, distance(near, key) <= 2 else { return "" }
        return " (did you mean '\(near)'?)"
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
