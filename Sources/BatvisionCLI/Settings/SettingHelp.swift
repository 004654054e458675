import ArgumentParser
import Foundation
import Ingest

/// A setting's flag, named and explained from its row in `SettingTable`:
///
///     @Option(name: .setting(\.epochs), help: .setting(\.epochs)) var epochs: Int?
///
/// The option stays optional (nil: not given, so conf files can set it); its help shows
/// what it accepts and its built-in default.
extension NameSpecification {
    static func setting<V>(_ setting: KeyPath<SettingTable, Setting<V>>) -> NameSpecification {
        .customLong(SettingTable.shared[keyPath: setting].spec.key)
    }
}

extension ArgumentHelp {
    /// The setting's help for `command` (some settings mean something else per command).
    static func setting<V>(_ setting: KeyPath<SettingTable, Setting<V>>, for command: SettingCommand? = nil) -> ArgumentHelp {
        let spec = SettingTable.shared[keyPath: setting].spec
        return ArgumentHelp(spec.help(for: command) + " " + spec.defaultsPhrase, discussion: spec.discussion ?? "")
    }
}

extension SettingSpec {
    /// "(1 to 100000; default 80)", "(default 0.001 for batvisionv1, 0.002 for batvisionv2)",
    /// then what the project's conf files set where it differs: "(default 80; conf 5 in
    /// /home/me/bv/conf/mode/train.yaml)".
    var defaultsPhrase: String {
        guard !isRequired else { return "(required)" }
        let v1 = builtIn(.batvisionv1), v2 = builtIn(.batvisionv2)
        let shown = isSwitch ? (v1 == "true" ? "on" : "off") : "\(v1.isEmpty ? "none" : v1)"
        let defaults = v1 == v2 ? "default \(shown)" : "default \(v1) for batvisionv1, \(v2) for batvisionv2"
        // A dataset's file against that dataset's default; the others against both.
        let conf = ProjectConfForHelp.current.settings(of: key).filter { c in
            c.dataset.map { c.text != builtIn($0) } ?? (c.text != v1 || c.text != v2)
        }
        let confPhrase = conf.isEmpty ? "" : "; conf " + conf.map { "\($0.text.isEmpty ? "none" : $0.text) in \($0.file)" }.joined(separator: ", ")
        return "(" + (accepts.map { "\($0); " } ?? "") + defaults + confPhrase + ")"
    }
}

/// The project's conf files as `--help` shows them: for each key, the files that set it
/// and their values, so a user sees what an option takes before running. Read once per
/// process from the project `ProjectHome` finds (`--conf_dir` is a flag, unknown while help
/// is built); a file that does not parse shows nothing here (the command itself says why).
struct ProjectConfForHelp {
    static let current = ProjectConfForHelp(home: try? ProjectHome.find())

    /// A value a conf file sets; `dataset` when the file is that dataset's.
    struct Entry {
        var file: String, text: String, dataset: DatasetKind?
    }

    private var values: [String: [Entry]] = [:]

    init(home: ProjectHome?) {
        guard let home else { return }
        let files = DatasetKind.allCases.map { ("dataset/\($0.rawValue).yaml", Optional($0)) }
            + SettingCommand.allCases.flatMap(\.confFiles).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.map { ($0, DatasetKind?.none) }
        for (rel, dataset) in files {
            let url = home.confDir.appendingPathComponent(rel)
            guard FileManager.default.fileExists(atPath: url.path), let read = try? ConfFile.read(url) else { continue }
            for (key, value) in read { values[key, default: []].append(Entry(file: url.path, text: value.text, dataset: dataset)) }
        }
    }

    func settings(of key: String) -> [Entry] { values[key] ?? [] }
}
