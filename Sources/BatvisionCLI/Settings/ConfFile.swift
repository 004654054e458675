import Foundation
import Support
import Yams

/// One YAML conf file (`conf/dataset/<dataset>.yaml`, `conf/mode/*.yaml`,
/// `conf/model/*.yaml`): a flat mapping of setting keys to values, each value kept as
/// text until the setting that reads it parses it.
public enum ConfFile {
    static func read(_ url: URL) throws -> [String: String] {
        try parse(String(decoding: try readFile(url), as: UTF8.self), path: url.path)
    }

    /// The settings of a conf file's text; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> [String: String] {
        let url = URL(fileURLWithPath: path)
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw SettingError.conf(path: url.path, reason: "not valid YAML: \(error)")
        }
        guard let map = node as? [String: Any] else {
            if node == nil { return [:] }
            throw SettingError.conf(path: url.path, reason: "expected a mapping of settings (key: value)")
        }
        var out: [String: String] = [:]
        for (key, value) in map {
            guard SettingKeys.all.contains(key) else {
                throw SettingError.conf(path: url.path, reason: "unknown setting '\(key)'\(SettingKeys.suggestion(for: key)); the settings are listed in the README")
            }
            switch value {
            case let list as [Any]: out[key] = list.map { "\($0)" }.joined(separator: ",")
            case is NSNull: out[key] = "null"
            default: out[key] = "\(value)"
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
                           "output_dir", "use_wandb", "wandb_project", "wandb_entity", "wandb_mode", "threads"]
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
