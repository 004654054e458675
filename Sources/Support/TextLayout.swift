/// Column layout for the tables the commands print and write.
extension String {
    /// The text right-aligned in `width` characters (longer text is kept whole).
    public func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// The text left-aligned in `width` characters (longer text is kept whole).
    public func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
public func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
