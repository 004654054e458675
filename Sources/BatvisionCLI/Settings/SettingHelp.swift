import ArgumentParser
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
    /// "(1 to 100000; default 80)", "(default 0.001 for batvisionv1, 0.002 for batvisionv2)".
    var defaultsPhrase: String {
        guard !isRequired else { return "(required)" }
        let v1 = builtIn(.batvisionv1), v2 = builtIn(.batvisionv2)
        let shown = isSwitch ? (v1 == "true" ? "on" : "off") : "\(v1.isEmpty ? "none" : v1)"
        let defaults = v1 == v2 ? "default \(shown)" : "default \(v1) for batvisionv1, \(v2) for batvisionv2"
        return "(" + (accepts.map { "\($0); " } ?? "") + defaults + ")"
    }
}
