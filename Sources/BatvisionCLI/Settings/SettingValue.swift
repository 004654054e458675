import ArgumentParser
import Cache
import Eval
import Ingest
import Model
import Support
import Train

/// A value a setting can hold: parsed from a conf file's text and from a flag the same
/// way, and written back as text for `logs/<run>/config.yaml` and checkpoints.
protocol SettingValue: ExpressibleByArgument, Sendable {
    init?(settingText: String)
    var settingText: String { get }
    /// What the setting accepts, for error messages.
    static var expected: String { get }
    /// What kind of value it is, its choices, and whether it may be `null` (the table's
    /// view of the type, for `batvision settings` and Python).
    static var kind: SettingKind { get }
    static var choices: [String] { get }
    static var isNullable: Bool { get }
}

extension SettingValue {
    static var choices: [String] { [] }
    static var isNullable: Bool { false }
}

extension Int: SettingValue {
    init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }
    var settingText: String { String(self) }
    static var expected: String { "a whole number" }
    static var kind: SettingKind { .int }
}

extension UInt64: SettingValue {
    init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }
    var settingText: String { String(self) }
    static var expected: String { "a whole number >= 0" }
    static var kind: SettingKind { .int }
}

extension Double: SettingValue {
    init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }
    var settingText: String { pythonFloat(self) }
    static var expected: String { "a number" }
    static var kind: SettingKind { .float }
}

extension String: SettingValue {
    init?(settingText: String) { self = settingText }
    var settingText: String { self }
    static var expected: String { "text" }
    static var kind: SettingKind { .text }
}

/// true or false, also as yes/no, on/off, 1/0 (YAML 1.1 and shell habits).
struct BoolSetting: SettingValue, Equatable {
    var value: Bool
    init(_ value: Bool) { self.value = value }
    init?(settingText: String) {
        switch settingText.lowercased() {
        case "true", "1", "yes", "on": value = true
        case "false", "0", "no", "off": value = false
        default: return nil
        }
    }
    var settingText: String { value ? "true" : "false" }
    init?(argument: String) { self.init(settingText: argument) }
    static var expected: String { "true or false" }
    static var allValueStrings: [String] { ["true", "false"] }
    static var kind: SettingKind { .bool }
}

/// Names separated by commas (a conf file's YAML list is joined so), e.g. location folders.
struct NameList: SettingValue, Equatable {
    var names: [String]
    init?(settingText: String) {
        names = settingText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    init(_ names: [String]) { self.names = names }
    init?(argument: String) { self.init(settingText: argument) }
    var settingText: String { names.joined(separator: ",") }
    static var expected: String { "names separated by commas" }
    static var kind: SettingKind { .list }
}

/// Settings whose values are a fixed list (help shows it).
protocol ChoiceSetting: SettingValue, CaseIterable, RawRepresentable where RawValue == String {}

extension ChoiceSetting {
    init?(settingText: String) { self.init(rawValue: settingText) }
    var settingText: String { rawValue }
    static var expected: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    static var kind: SettingKind { .choice }
    static var choices: [String] { allCases.map(\.rawValue) }
}

extension DatasetKind: ChoiceSetting {}
extension AudioFormat: ChoiceSetting {}
extension Preprocess: ChoiceSetting {}
extension DepthResize: ChoiceSetting {}
extension OptimizerKind: ChoiceSetting {}
extension Criterion: ChoiceSetting {}
extension BestMetric: ChoiceSetting {}
extension WandbMode: ChoiceSetting {}
extension GemmEngine: ChoiceSetting {}

/// The splits `eval` evaluates.
enum EvalSplit: String, ChoiceSetting {
    case test, val, both
    var splits: [Split] { self == .test ? [.test] : (self == .val ? [.val] : [.val, .test]) }
}

/// `unet_256` (8 levels) or `unet_128` (7), the baseline's generators.
enum Generator: String, ChoiceSetting {
    case unet256 = "unet_256", unet128 = "unet_128"
    var levels: Int { self == .unet256 ? 8 : 7 }
}

/// A value or `null` (also `none`, `~` or empty): YAML's null for settings that may be unset.
enum Nullable<Wrapped: SettingValue>: SettingValue {
    case null
    case value(Wrapped)

    static func isNull(_ text: String) -> Bool { ["", "null", "none", "None", "~"].contains(text) }

    init?(settingText: String) {
        if Self.isNull(settingText) { self = .null; return }
        guard let v = Wrapped(settingText: settingText) else { return nil }
        self = .value(v)
    }
    var settingText: String {
        if case let .value(v) = self { return v.settingText }
        return "null"
    }
    init?(argument: String) { self.init(settingText: argument) }
    var optional: Wrapped? { if case let .value(v) = self { return v } else { return nil } }
    static var expected: String { Wrapped.expected + " or null" }
    static var kind: SettingKind { Wrapped.kind }
    static var choices: [String] { Wrapped.choices }
    static var isNullable: Bool { true }
}
