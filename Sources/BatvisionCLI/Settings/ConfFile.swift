import Foundation
import Support
import Yams

/// One YAML conf file (`conf/dataset/<dataset>.yaml`, `conf/mode/*.yaml`,
/// `conf/model/*.yaml`): a flat mapping of setting keys to values, each value kept as
/// text until the setting that reads it parses it.
public enum ConfFile {
    static func read(_ url: URL) throws -> [String: String] {
        try parse(String(decoding: try readFile(url, limit: 1 << 20), as: UTF8.self), path: url.path)
    }

    /// The settings of a conf file's text; `path` names it in errors. The YAML is composed,
    /// not loaded: values are the scalars' own text (or flat lists of them), so aliases are
    /// never expanded into copies (a "billion laughs" file stays small).
    public static func parse(_ text: String, path: String) throws -> [String: String] {
        guard let node = try YAMLDocument.compose(text, path: path) else { return [:] }
        guard let map = node.mapping else {
            throw SettingError.conf(path: path, reason: "expected a mapping of settings (key: value)")
        }
        var out: [String: String] = [:]
        for (keyNode, value) in map {
            guard let key = keyNode.scalar?.string else {
                throw SettingError.conf(path: path, reason: "a setting's name must be plain text")
            }
            guard key.count <= 64, SettingKeys.all.contains(key) else {
                let hint = key.count <= 64 ? SettingKeys.suggestion(for: key) : ""
                throw SettingError.conf(path: path, reason: "unknown setting '\(clipped(key, limit: 64))'\(hint); the settings are listed in the README")
            }
            switch value {
            case let .scalar(scalar):
                out[key] = scalar.string  // `key:` with no value is "", which nullable settings read as null
            case let .sequence(list):
                var items: [String] = []
                for item in list {
                    guard let s = item.scalar?.string else {
                        throw SettingError.conf(path: path, reason: "\(key): expected a value or a list of values")
                    }
                    items.append(s)
                }
                out[key] = items.joined(separator: ",")
            default:
                throw SettingError.conf(path: path, reason: "\(key): expected a value or a list of values, not a mapping")
            }
        }
        return out
    }
}

/// Every key a conf file may hold; each is also a flag of the same name on the commands
/// that use it.
enum SettingKeys {
    static let dataset = ["dataset", "dataset_dir", "manifest", "cache_dir", "location_blacklist", "audio_format",
                          "max_depth", "depth_norm", "images_size", "preprocess", "depth_resize", "audio_offset", "audio_cut_ms",
                          "learning_rate", "batch_size"]
    static let training = ["experiment_name", "epochs", "optimizer", "criterion", "l1_weight", "silog_weight",
                           "silog_lambda", "clip_grad_norm", "validation", "validation_iter", "saving_checkpoints",
                           "checkpoints", "save_best_model", "best_metric", "shuffle", "seed", "prediction_samples",
                           "output_dir", "use_wandb", "wandb_project", "wandb_entity", "wandb_mode", "threads", "gemm"]
    static let model = ["name", "generator", "num_downs", "ngf"]
    static let evaluation = ["eval_on", "checkpoints", "stat_dir", "depth_bin", "min_depth", "max_eval_depth", "raw_depth"]
    static let all = Set(dataset + training + model + evaluation)

    /// " (did you mean 'epochs'?)" for a near miss.
    static func suggestion(for key: String) -> String {
        let near = all.min { distance($0, key) < distance($1, key) }
        guard let near, distance(near, key) <= 2 else { return "" }
        return " (did you mean '\(near)'?)"
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
