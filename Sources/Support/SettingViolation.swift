/// A value a domain type refuses, by the name of its setting: the rule lives on the type
/// that holds the value (`FeatureConfig`, `TrainingConfig`, ...), once; the command line
/// adds where the value came from (a flag, a conf file and line, a built-in default).
public struct SettingViolation: ReportableError, Equatable {
    /// The settings involved: one for a value out of its range, several for values that
    /// cannot go together.
    public var keys: [String]
    /// The refused value, as text (empty for a combination).
    public var value: String
    /// What is accepted (one key), or what is wrong (several).
    public var expected: String

    /// `key`'s value `value` is refused: `expected` says what it may be.
    public init(_ key: String, _ value: Any, expected: String) {
        keys = [key]
        self.value = "\(value)"
        self.expected = expected
    }

    /// Settings that are each valid but cannot go together.
    public init(combining keys: [String], _ message: String) {
        self.keys = keys
        value = ""
        expected = message
    }

    public var description: String {
        keys.count == 1 ? "\(keys[0]) \(value): expected \(expected)" : expected
    }
}
