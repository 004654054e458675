import Foundation

/// Text from a file as a message quotes it: at most `limit` characters, the rest counted,
/// so a hostile 10 MB field does not end up whole in a message or a manifest; control
/// characters (newlines included: a quoted value is one line) escaped as `\u{1B}`, so no
/// file's bytes reach the terminal as commands.
public func clipped(_ text: String, limit: Int = 120) -> String {
    let shown = escapingControls(text.count > limit ? String(text.prefix(limit)) : text, keepingLines: false)
    return text.count > limit ? shown + "... (\(text.utf8.count) bytes)" : shown
}

/// Text from a file as messages quote it: in quotes, clipped at 200 characters, control
/// bytes escaped.
public func quoted(_ text: String) -> String { "'\(clipped(text, limit: 200))'" }

/// `text` with C0 and C1 control characters and DEL written as `\u{..}` escapes; with
/// `keepingLines`, newlines and tabs stay (a message of several lines).
public func escapingControls(_ text: String, keepingLines: Bool) -> String {
    func isControl(_ u: Unicode.Scalar) -> Bool {
        (u.value < 0x20 || (0x7F...0x9F).contains(u.value)) && !(keepingLines && (u == "\n" || u == "\t"))
    }
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = String.UnicodeScalarView()
    for u in text.unicodeScalars {
        if isControl(u) {
            out.append(contentsOf: "\\u{\(String(u.value, radix: 16, uppercase: true))}".unicodeScalars)
        } else {
            out.append(u)
        }
    }
    return String(out)
}
