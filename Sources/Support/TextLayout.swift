/// Column layout for the tables the commands print.
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
