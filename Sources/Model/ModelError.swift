import Support

/// What can go wrong building a model, feeding it or reading its tensors. Each case names
/// the setting or file and what was expected.
public enum ModelError: ReportableError, Equatable {
    /// Model settings that cannot make a U-Net (levels, filters, input size).
    case config(String)
    case shape(name: String, expected: [Int], found: [Int])
    /// A safetensors file, state_dict or optimiser state that does not fit.
    case tensors(path: String, reason: String)

    public var description: String {
        switch self {
        case let .config(m): return "model: \(m)"
        case let .shape(name, expected, found): return "tensor \(name): expected shape \(expected), found \(found)"
        case let .tensors(path, reason): return "\(path): \(reason)"
        }
    }
}
