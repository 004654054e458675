import Foundation
import Support

/// A finished or running run as its `logs/<run>/` folder records it: the resolved settings
/// (`config.yaml`) and one record per epoch (`metrics.jsonl`). What `compare`,
/// `experiments` and `wandb-sync` read; the trainer writes both.
public struct RunLog: Sendable {
    public let directory: URL
    /// The run's name: its logs folder's name.
    public var runName: String { directory.lastPathComponent }
    /// Resolved settings, key -> value as text.
    public let settings: [String: String]
    public let records: [EpochRecord]
    /// The constant predictor's validation figures, when the run recorded them.
    public let constantPredictor: ConstantPredictor.Figures?

    /// Limits on what is read: a log is the tool's own output, but may be any file by now.
    static let maxConfigBytes = 1 << 20, maxMetricsBytes = 64 << 20

    public init(directory: URL) throws {
        self.directory = directory
        let metrics = directory.appendingPathComponent("metrics.jsonl")
        guard FileManager.default.fileExists(atPath: metrics.path) else {
            throw FileError.unreadable(path: metrics.path, reason: "no such file: not the logs folder of a run (logs/<run>/ holds metrics.jsonl and config.yaml)")
        }
        records = try Self.readRecords(metrics)
        let config = directory.appendingPathComponent("config.yaml")
        settings = FileManager.default.fileExists(atPath: config.path) ? try Self.readSettings(config) : [:]
        let constant = directory.appendingPathComponent(ConstantPredictor.fileName)
        if FileManager.default.fileExists(atPath: constant.path) {
            do {
                constantPredictor = try JSONCoding.decoder().decode(ConstantPredictor.Figures.self, from: try readFile(constant, limit: 1 << 20))
            } catch {
                throw FileError.unreadable(path: constant.path, reason: "not the constant predictor's figures: \(clipped(plainReason(error), limit: 160))")
            }
        } else {
            constantPredictor = nil
        }
    }

    /// Every line of metrics.jsonl; a line that is not a record is an error naming it.
    public static func readRecords(_ url: URL) throws -> [EpochRecord] {
        let text = String(decoding: try readFile(url, limit: maxMetricsBytes), as: UTF8.self)
        let decoder = JSONCoding.decoder()
        var out: [EpochRecord] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let record: EpochRecord
            do { record = try decoder.decode(EpochRecord.self, from: Data(line.utf8)) } catch {
                throw FileError.unreadable(path: "\(url.path) line \(n + 1)", reason: "not an epoch record: \(clipped(String(line), limit: 80))")
            }
            if let problem = record.problem { throw FileError.unreadable(path: "\(url.path) line \(n + 1)", reason: problem) }
            // The trainer appends epochs in order (a resume first drops those after it).
            if let previous = out.last, record.epoch <= previous.epoch {
                throw FileError.unreadable(path: "\(url.path) line \(n + 1)", reason: "epoch \(record.epoch) after epoch \(previous.epoch): epochs increase line by line")
            }
            out.append(record)
        }
        return out
    }

    /// `key: value  # origin` lines as the trainer writes them (comments and blank lines skipped).
    public static func readSettings(_ url: URL) throws -> [String: String] {
        let text = String(decoding: try readFile(url, limit: maxConfigBytes), as: UTF8.self)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.range(of: ": ") else { continue }
            var value = line[colon.upperBound...]
            if let origin = value.range(of: "  # ", options: .backwards) { value = value[..<origin.lowerBound] }
            out[String(line[..<colon.lowerBound])] = String(value)
        }
        return out
    }

    /// The run's setting `key` (nil when the log does not record it).
    public func setting(_ key: String) -> String? { settings[key] }

    /// The metric `--save_best_model` compares, from the run's settings (rmse when unrecorded).
    public var bestMetric: BestMetric { settings["best_metric"].flatMap(BestMetric.init(rawValue:)) ?? .rmse }

    /// The validated epoch with the best `metric` (the first of equals), if any epoch was validated.
    public func bestEpoch(by metric: BestMetric) -> EpochRecord? {
        var best: (record: EpochRecord, figure: Double)?
        for r in records {
            guard let figure = metric.figure(of: r), figure.isFinite else { continue }
            if let b = best, !metric.isBetter(figure, than: b.figure) { continue }
            best = (r, figure)
        }
        return best?.record
    }

    /// Training time (the epochs' training passes) and mean throughput.
    public var trainingSeconds: Double { records.reduce(0) { $0 + $1.seconds } }
    public var samplesPerSecond: Double? {
        records.isEmpty ? nil : records.map(\.samplesPerSecond).reduce(0, +) / Double(records.count)
    }
}
