import ArgumentParser
import Foundation
import Support
import Yams

/// A matrix of training runs as data (`experiments/*.yaml`): each run a name and the
/// `batvision train` flags the guide gives it, exactly as a user would type them.
///
///     description: what the matrix compares
///     runs:
///       - name: base_v1_default
///         flags: --dataset batvisionv1 --use_wandb --learning_rate 0.001 --batch_size 128 --experiment_name base_v1_default
struct ExperimentPlan: Equatable {
    struct Run: Equatable {
        var name: String
        var flags: [String]
    }

    var description: String
    var runs: [Run]

    static let maxRuns = 1000

    static func read(_ url: URL) throws -> ExperimentPlan {
        try parse(String(decoding: try readFile(url, limit: 1 << 20), as: UTF8.self), path: url.path)
    }

    /// The plan in `text`; `path` names the file in errors. Composed, not loaded: aliases
    /// are never expanded.
    static func parse(_ text: String, path: String) throws -> ExperimentPlan {
        func fail(_ reason: String) -> SettingError { .conf(path: path, reason: reason) }
        let node = try YAMLDocument.compose(text, path: path)
        guard let map = node?.mapping else { throw fail("expected a mapping with `runs:` (a list of {name, flags})") }
        for key in map.keys.compactMap(\.scalar?.string) where !["description", "runs"].contains(key) {
            throw fail("unknown key '\(clipped(key, limit: 64))' (expected description and runs)")
        }
        guard let list = map["runs"]?.sequence, !list.isEmpty else { throw fail("`runs:` must be a non-empty list of {name, flags}") }
        guard list.count <= maxRuns else { throw fail("\(list.count) runs: at most \(maxRuns)") }
        var runs: [Run] = []
        for (i, item) in list.enumerated() {
            guard let entry = item.mapping, let name = entry["name"]?.scalar?.string, let flags = entry["flags"]?.scalar?.string else {
                throw fail("run \(i + 1): expected `name:` and `flags:` (text)")
            }
            guard !name.isEmpty, name.count <= 128, name.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                throw fail("run \(i + 1): name '\(clipped(name, limit: 64))' must be letters, digits, '_', '-' or '.'")
            }
            guard !runs.contains(where: { $0.name == name }) else { throw fail("run \(i + 1): the name '\(name)' is used twice") }
            guard !flags.contains(where: { "\"'\\`$".contains($0) }) else {
                throw fail("run '\(name)': flags are plain words separated by spaces (no quotes, escapes or $)")
            }
            runs.append(Run(name: name, flags: flags.split(whereSeparator: \.isWhitespace).map(String.init)))
        }
        return ExperimentPlan(description: map["description"]?.scalar?.string ?? "", runs: runs)
    }
}

/// `--set key=value`: one setting changed in every run of a plan (a smaller U-Net, fewer
/// epochs, another output folder), replacing the run's own flag of that name.
struct SettingOverride: ExpressibleByArgument, Equatable {
    var key: String
    var value: String

    /// Settings that are on/off flags on `train` (`--save_best_model` / `--no_save_best_model`).
    static let switches = Set(SettingTable.all.filter(\.isSwitch).map(\.key))

    /// What `--set` may change: `train`'s settings, and its flags for the dataset root and conf folder.
    static let keys = Set(SettingTable.all.filter { $0.commands.contains(.train) }.map(\.key)).union(["dataset_dir", "conf_dir"])

    init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    init?(argument: String) {
        guard let eq = argument.firstIndex(of: "=") else { return nil }
        key = String(argument[..<eq])
        value = String(argument[argument.index(after: eq)...])
        guard Self.keys.contains(key), !value.isEmpty, !value.contains(where: \.isWhitespace) else { return nil }
        if Self.switches.contains(key) && BoolSetting(settingText: value) == nil { return nil }
    }

    static var defaultValueDescription: String { "key=value" }

    /// `flags` with this setting's flag (and its value) removed, then this value's flag appended.
    func apply(to flags: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        let isSwitch = Self.switches.contains(key)
        while i < flags.count {
            let f = flags[i]
            if isSwitch && (f == "--\(key)" || f == "--no_\(key)") { i += 1; continue }
            if !isSwitch && f == "--\(key)" { i += 2; continue }
            if !isSwitch && f.hasPrefix("--\(key)=") { i += 1; continue }
            out.append(f)
            i += 1
        }
        if isSwitch {
            out.append(BoolSetting(settingText: value)?.value == true ? "--\(key)" : "--no_\(key)")
        } else {
            out += ["--\(key)", value]
        }
        return out
    }
}
