import ArgumentParser
import Foundation
import Ingest
import Support

/// `batvision settings`: every setting of the tool from the one table that defines them
/// (`SettingTable`), as a table for people or as the JSON the Python package ships.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List every setting: its type, built-in default, accepted values and the commands that take it.",
        discussion: """
        Every setting is a flag of the same name on the commands that take it and a key of the conf files (conf/dataset/<dataset>.yaml, then, for train and eval, conf/mode/train.yaml and conf/model/unet_baseline.yaml, and for eval conf/mode/test.yaml); a later file wins over an earlier one and a flag over both. --json prints the table as python/batvision_cache/settings.json holds it (the Python package reads its settings from that file; a test keeps the two equal).
        """)

    @Flag(name: .customLong("json"), help: "Print the table as JSON (what python/batvision_cache/settings.json holds).")
    var json = false

    func run() throws {
        if json {
            FileHandle.standardOutput.write(try Self.json())
            return
        }
        for spec in SettingTable.all {
            let kind = spec.kind == .choice ? spec.choices.joined(separator: "|") : spec.kind.rawValue
            print("\(spec.key) (\(kind)\(spec.nullable ? " or null" : "")) \(spec.defaultsPhrase) [\(spec.commands.map(\.rawValue).joined(separator: ", "))]")
            print("    \(spec.help)")
        }
    }

    /// The table as JSON: per setting its key, kind, choices, nullability, default per
    /// dataset, accepted values, commands, whether it is a switch and its name in the
    /// feature config; and the conf files each command reads.
    static func json() throws -> Data {
        struct Row: Encodable {
            let key: String, kind: String, choices: [String], nullable: Bool
            let defaults: [String: String]
            let accepts: String?
            let commands: [String]
            let isSwitch: Bool
            let feature: String?
            let help: String
            enum CodingKeys: String, CodingKey { case key, kind, choices, nullable, defaults, accepts, commands, isSwitch = "switch", feature, help }
        }
        struct Table: Encodable {
            let format = "batvision-settings-1"
            let settings: [Row]
            let confFiles: [String: [String]]
            enum CodingKeys: String, CodingKey { case format, settings, confFiles = "conf_files" }
        }
        let rows = SettingTable.all.map { s in
            Row(key: s.key, kind: s.kind.rawValue, choices: s.choices, nullable: s.nullable,
                defaults: Dictionary(uniqueKeysWithValues: DatasetKind.allCases.map { ($0.rawValue, s.builtIn($0)) }),
                accepts: s.accepts, commands: s.commands.map(\.rawValue), isSwitch: s.isSwitch, feature: s.feature, help: s.help)
        }
        let confFiles = Dictionary(uniqueKeysWithValues: SettingCommand.allCases.map { ($0.rawValue, ["dataset/<dataset>.yaml"] + $0.confFiles) })
        return try JSONCoding.encoder(pretty: true).encode(Table(settings: rows, confFiles: confFiles)) + Data("\n".utf8)
    }
}
