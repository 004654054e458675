import Foundation
import Ingest
import Yams

/// Resolved settings: the conf files' keys (`conf/dataset/<dataset>.yaml`, and the mode and
/// model files for later stages), overridden by command-line flags of the same name.
/// Values are kept as the text the user wrote and parsed where they are used.
public struct Settings: Sendable {
    public private(set) var values: [String: String]
    /// Which file or flag each value came from, for error messages and the run log.
    public private(set) var origins: [String: String]

    /// SPEC section 2's defaults, used when no conf folder is at hand.
    public static func builtInDefaults(_ dataset: DatasetKind) -> [String: String] {
        switch dataset {
        case .batvisionv1:
            return ["dataset": "batvisionv1", "dataset_dir": "out/synthetic/batvisionv1",
                    "manifest": "data-manifests/batvisionv1-synthetic.json", "cache_dir": "out/cache",
                    "audio_format": "spectrogram", "max_depth": "12.0", "depth_norm": "true", "images_size": "256",
                    "preprocess": "resize", "learning_rate": "0.001", "batch_size": "128"]
        case .batvisionv2:
            return ["dataset": "batvisionv2", "dataset_dir": "out/synthetic/batvisionv2",
                    "manifest": "data-manifests/batvisionv2-synthetic.json", "cache_dir": "out/cache",
                    "audio_format": "mel_spectrogram", "max_depth": "30.0", "depth_norm": "false", "images_size": "256",
                    "preprocess": "resize", "learning_rate": "0.002", "batch_size": "256"]
        }
    }

    public init(values: [String: String] = [:], origin: String = "built-in") {
        self.values = values
        origins = values.mapValues { _ in origin }
    }

    /// Loads `conf/dataset/<dataset>.yaml` plus any extra conf files (relative to
    /// `confDir`), each later file overriding earlier ones; built-in defaults underneath.
    public static func load(dataset: DatasetKind, confDir: URL, extra: [String] = []) throws -> Settings {
        var s = Settings(values: builtInDefaults(dataset))
        for rel in ["dataset/\(dataset.rawValue).yaml"] + extra {
            let url = confDir.appendingPathComponent(rel)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            s.merge(try parseYAML(url), origin: url.path)
        }
        return s
    }

    static func parseYAML(_ url: URL) throws -> [String: String] {
        let text = String(decoding: try readFile(url), as: UTF8.self)
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw CacheError.config("\(url.path): not valid YAML: \(error)")
        }
        guard let map = node as? [String: Any] else {
            if node == nil { return [:] }
            throw CacheError.config("\(url.path): expected a mapping of settings (key: value)")
        }
        var out: [String: String] = [:]
        for (k, v) in map {
            switch v {
            case let list as [Any]: out[k] = list.map { "\($0)" }.joined(separator: ",")
            case is NSNull: out[k] = "null"
            default: out[k] = "\(v)"
            }
        }
        return out
    }

    public mutating func merge(_ other: [String: String], origin: String) {
        for (k, v) in other {
            values[k] = v
            origins[k] = origin
        }
    }

    public mutating func set(_ key: String, _ value: String?, origin: String = "command line") {
        guard let value else { return }
        values[key] = value
        origins[key] = origin
    }

    /// Sets `key` only when no file or flag did.
    public mutating func setDefault(_ key: String, _ value: String, origin: String = "built-in") {
        guard values[key] == nil else { return }
        values[key] = value
        origins[key] = origin
    }

    public subscript(key: String) -> String? { values[key] }

    private func fail(_ key: String, _ expected: String) -> CacheError {
        .config("\(key) = '\(values[key] ?? "")' (from \(origins[key] ?? "?")): expected \(expected)")
    }

    public func string(_ key: String) throws -> String {
        guard let v = values[key], !v.isEmpty else { throw CacheError.config("\(key) is not set (pass --\(key))") }
        return v
    }

    public func int(_ key: String) throws -> Int {
        guard let v = Int(try string(key)) else { throw fail(key, "a whole number") }
        return v
    }

    public func double(_ key: String) throws -> Double {
        guard let v = Double(try string(key)) else { throw fail(key, "a number") }
        return v
    }

    /// The spellings of "no value" in conf files and flags (YAML's null included).
    public static func isNull(_ raw: String) -> Bool { ["", "null", "none", "None", "~"].contains(raw) }

    /// nil for `null`, `none` or an empty value.
    public func optionalDouble(_ key: String) throws -> Double? {
        guard let raw = values[key], !Self.isNull(raw) else { return nil }
        guard let v = Double(raw) else { throw fail(key, "a number or null") }
        return v
    }

    /// nil for `null`, `none` or an empty value.
    public func optionalInt(_ key: String) throws -> Int? {
        guard let raw = values[key], !Self.isNull(raw) else { return nil }
        guard let v = Int(raw) else { throw fail(key, "a whole number or null") }
        return v
    }

    public func bool(_ key: String) throws -> Bool {
        switch try string(key).lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw fail(key, "true or false")
        }
    }

    /// The feature config these settings describe.
    public func featureConfig() throws -> FeatureConfig {
        let ds = try string("dataset")
        guard let dataset = DatasetKind(rawValue: ds) else { throw fail("dataset", "batvisionv1 or batvisionv2") }
        let fmt = try string("audio_format")
        guard let format = AudioFormat(rawValue: fmt) else { throw fail("audio_format", "spectrogram, mel_spectrogram or waveform") }
        return try FeatureConfig(dataset: dataset, audioFormat: format, maxDepth: try optionalDouble("max_depth"),
                                 depthNorm: try bool("depth_norm"), imagesSize: try int("images_size"),
                                 preprocess: try string("preprocess"))
    }
}
