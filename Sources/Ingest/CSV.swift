import Foundation
import Support

/// A parsed CSV/TSV table (RFC 4180: quoted fields with embedded separators, quotes and
/// newlines; CRLF or LF; an optional UTF-8 BOM). Columns are found by header name.
public struct CSVTable {
    public struct Row {
        /// 1-based line of the file where the record starts (the header is line 1).
        public let line: Int
        public let fields: [String]
    }

    public let path: String
    public let header: [String]
    public let rows: [Row]
    public let separator: Character

    /// Parses `text`. The separator is a tab when the header line has tabs and no commas,
    /// else a comma (the 2020 Batvision V1 release used tabs).
    public init(text: String, path: String) throws {
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        let firstLine = body.prefix { $0 != "\n" && $0 != "\r\n" && $0 != "\r" }
        let sep: Character = (firstLine.contains("\t") && !firstLine.contains(",")) ? "\t" : ","
        let records = try CSVTable.records(body, separator: sep, path: path)
        guard let first = records.first else {
            throw IngestError.csv(path: path, line: 1, reason: "empty file (expected a header row)")
        }
        self.path = path
        self.separator = sep
        self.header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        self.rows = Array(records.dropFirst())
    }

    public init(contentsOf url: URL) throws {
        let data = try readFile(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw IngestError.csv(path: url.path, line: 1, reason: "not UTF-8 text")
        }
        try self.init(text: text, path: url.path)
    }

    /// Index of the first column named any of `names`, or nil.
    public func column(_ names: String...) -> Int? { column(names) }

    /// The index of the first of `names` the header has.
    public func column(_ names: [String]) -> Int? {
        for name in names { if let i = header.firstIndex(of: name) { return i } }
        return nil
    }

    private static func records(_ text: Substring, separator: Character, path: String) throws -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quotedFieldEnded = false
        var recordHasContent = false
        var it = text.makeIterator()
        var pending: Character? = nil

        func endRecord() {
            fields.append(field)
            // A blank line is no record (a trailing newline at the end of a file is common).
            if recordHasContent || fields.count > 1 || !fields[0].isEmpty {
                rows.append(Row(line: recordLine, fields: fields))
            }
            fields = []
            field = ""
            recordHasContent = false
            quotedFieldEnded = false
        }

        while let c = pending ?? it.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = it.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; quotedFieldEnded = true; pending = next }
                    } else { inQuotes = false; quotedFieldEnded = true }
                } else {
                    if c == "\n" || c == "\r\n" || c == "\r" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !quotedFieldEnded else {
                    throw IngestError.csv(path: path, line: line, reason: "stray quote inside an unquoted field")
                }
                inQuotes = true
                recordHasContent = true
            case separator:
                fields.append(field)
                field = ""
                quotedFieldEnded = false
                recordHasContent = true
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            default:
                if quotedFieldEnded {
                    throw IngestError.csv(path: path, line: line, reason: "text after a closing quote")
                }
                field.append(c)
            }
        }
        if inQuotes { throw IngestError.csv(path: path, line: recordLine, reason: "quoted field is not closed before the end of the file") }
        if recordHasContent || !field.isEmpty || !fields.isEmpty { endRecord() }
        return rows
    }
}
