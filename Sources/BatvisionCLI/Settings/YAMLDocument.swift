import CYaml
import Foundation
import Support
import Yams

/// The one way the tool reads a YAML file (conf files, experiment plans): checked first,
/// then composed, not loaded (aliases are never expanded into copies).
enum YAMLDocument {
    /// Far beyond any conf file or plan (they nest 3 deep), far below what recursion survives.
    static let maxNesting = 64

    /// The document's root node (nil for an empty file); `path` names the file in errors.
    static func compose(_ text: String, path: String) throws -> Node? {
        try check(text, path: path)
        do { return try Yams.compose(yaml: text) } catch {
            // Yams shows the offending line under its message: kept as lines, each escaped.
            let lines = "\(error)".split(separator: "\n").prefix(3).map { clipped(String($0), limit: 80) }
            throw SettingError.conf(path: path, reason: "not valid YAML: " + lines.joined(separator: "\n"))
        }
    }

    /// What a collection being read has seen: a mapping's keys (and whether its next node
    /// is a key), nothing for a sequence.
    private enum Frame {
        case sequence
        case mapping(nextIsKey: Bool, keys: [String: Int])
    }

    /// Walks libyaml's events (Yams's own copy of libyaml, so the same grammar), which its
    /// parser produces as a state machine, before Yams composes them recursively:
    /// - nesting deeper than `maxNesting` is refused (5,000 nested `[` in a 10 KB file
    ///   overflow the composer's stack);
    /// - a key given twice in one mapping is refused, naming both lines (YAML would keep the
    ///   last value without a word).
    /// A syntax error is left to the composer, which describes it.
    static func check(_ text: String, path: String) throws {
        func refuse(_ line: Int, _ reason: String) -> SettingError { .conf(path: path, reason: "line \(line): \(reason)") }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw SettingError.conf(path: path, reason: "cannot start the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var frames: [Frame] = []
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                let startsNode = [YAML_SCALAR_EVENT, YAML_ALIAS_EVENT, YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT].contains(event.type)
                if startsNode, case .mapping(let nextIsKey, var keys)? = frames.last {
                    if nextIsKey, event.type == YAML_SCALAR_EVENT, let value = event.data.scalar.value {
                        let key = String(decoding: UnsafeBufferPointer(start: value, count: event.data.scalar.length), as: UTF8.self)
                        if let first = keys[key] {
                            throw refuse(line, "'\(clipped(key, limit: 64))' is set twice (first on line \(first)); keep one")
                        }
                        keys[key] = line
                    }
                    frames[frames.count - 1] = .mapping(nextIsKey: !nextIsKey, keys: keys)
                }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    guard frames.count < maxNesting else {
                        throw refuse(line, "collections nested more than \(maxNesting) deep (a conf file or plan needs 3)")
                    }
                    frames.append(event.type == YAML_SEQUENCE_START_EVENT ? .sequence : .mapping(nextIsKey: true, keys: [:]))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    _ = frames.popLast()
                case YAML_STREAM_END_EVENT:
                    return
                default:
                    break
                }
            }
        }
    }
}
