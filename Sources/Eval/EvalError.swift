import Support

/// What can stop an evaluation: settings it cannot use, a split with nothing to
/// evaluate, a picture that cannot be encoded.
public enum EvalError: ReportableError, Equatable {
    case config(String)
    case emptySplit(cache: String, split: String)
    case picture(path: String, reason: String)

    public var description: String {
        switch self {
        case let .config(m): return "evaluation: \(m)"
        case let .emptySplit(cache, split): return "\(cache): the \(split) split is empty: nothing to evaluate"
        case let .picture(path, reason): return "\(path): cannot draw the picture: \(reason)"
        }
    }
}
