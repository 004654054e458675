import Support

/// A setting that cannot be used: from a conf file (exit 2, naming the file) or from a
/// flag (exit 64, a usage error).
enum SettingError: ReportableError, Equatable {
    case conf(path: String, reason: String)
    case invalid(key: String, value: String, origin: String, expected: String)
    case missing(key: String)
    /// Values that are each valid but cannot go together; a usage error when one of them
    /// was a flag.
    case combination(String, fromCommandLine: Bool)

    var description: String {
        switch self {
        case let .conf(path, reason): return "\(path): \(reason)"
        case let .invalid(key, value, origin, expected):
            return "\(key) = '\(value)' (from \(origin)): expected \(expected)"
        case let .missing(key): return "\(key) is not set (pass --\(key) or set it in a conf file)"
        case let .combination(message, _): return message
        }
    }

    /// Whether the user typed the bad value on the command line.
    var isUsageError: Bool {
        if case let .invalid(_, _, origin, _) = self { return origin == SettingsResolver.commandLine }
        if case let .combination(_, fromCommandLine) = self { return fromCommandLine }
        return false
    }
}
