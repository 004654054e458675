import ArgumentParser
import Cache
import Eval
import Ingest
import Model
import Train

/// A value a setting can hold: parsed from a conf file's text and from a flag the same
/// way, and written back as text for `logs/<run>/config.yaml` and checkpoints.
protocol SettingValue: ExpressibleByArgument {
    init?(settingText: String)
    var settingText: String { get }
    /// What the setting accepts, for error messages.
    static var expected: String { get }
}

extension Int: SettingValue {
    init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }
    var settingText: String { String(self) }
    static var expected: String { "a whole number" }
}

extension UInt64: SettingValue {
    init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }
    var settingText: String { String(self) }
    static var expected: String { "a whole number >= 0" }
}

extension Double: SettingValue {
    init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }
    var settingText: String { pythonFloat(self) }
    static var expected: String { "a number" }
}

extension String: SettingValue {
    init?(settingText: String) { self = settingText }
    var settingText: String { self }
    static var expected: String { "text" }
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
}

/// Settings whose values are a fixed list (help shows it).
protocol ChoiceSetting: SettingValue, CaseIterable, RawRepresentable where RawValue == String {}

extension ChoiceSetting {
    init?(settingText: String) { self.init(rawValue: settingText) }
    var settingText: String { rawValue }
    static var expected: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
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
}
