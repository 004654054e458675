import Foundation
import Model
import Support
import Train

/// Runs side by side (`batvision compare`, the end of `experiments run`): one table of the
/// settings in which they differ and their results, as text, CSV and Markdown, and curves
/// per epoch plus the depth-binned error of evaluated runs as PNG.
public struct RunComparison {
    /// One run: its logs, the name it goes by here, and its test evaluation if `eval` ran.
    public struct Entry {
        public let log: RunLog
        public var label: String
        public let test: EvaluationSummary?

        public init(log: RunLog, label: String, test: EvaluationSummary?) {
            self.log = log
            self.label = label
            self.test = test
        }
    }

    public let entries: [Entry]
    /// The validation metric that picks each run's best epoch.
    public let metric: BestMetric

    /// Settings that differ between runs by construction or say nothing about the result.
    static let ignoredKeys: Set<String> = ["experiment_name", "checkpoints", "threads", "output_dir", "use_wandb", "wandb_project",
                                           "wandb_entity", "wandb_mode", "prediction_samples", "manifest", "cache_dir", "dataset_dir"]

    /// `logs`' runs, each with its test evaluation from `<statDir>/<run>/` (the best model's
    /// if evaluated, else the latest epoch's).
    public init(logs: [RunLog], statDir: URL?, metric: BestMetric) throws {
        self.metric = metric
        var names: [String: Int] = [:]
        for log in logs { names[log.setting("experiment_name") ?? log.runName, default: 0] += 1 }
        entries = try logs.map { log in
            let short = log.setting("experiment_name") ?? log.runName
            return Entry(log: log, label: names[short] == 1 ? short : log.runName,
                         test: try statDir.flatMap { try Self.testSummary(of: log.runName, in: $0) })
        }
    }

    static func testSummary(of run: String, in statDir: URL) throws -> EvaluationSummary? {
        let folder = statDir.appendingPathComponent(EvaluationRun.folderName(run))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let pick = names.contains("best_test_summary.json") ? "best_test_summary.json"
            : names.filter { $0.hasPrefix("epoch_") && $0.hasSuffix("_test_summary.json") }.sorted().last
        guard let pick else { return nil }
        let url = folder.appendingPathComponent(pick)
        do { return try JSONCoding.decoder().decode(EvaluationSummary.self, from: try readFile(url, limit: 64 << 20)) } catch {
            throw FileError.unreadable(path: url.path, reason: "not an eval summary: \(clipped(plainReason(error), limit: 160))")
        }
    }

    /// The settings whose values are not the same in every run, in name order.
    public var differingKeys: [String] {
        let keys = Set(entries.flatMap { $0.log.settings.keys }).subtracting(Self.ignoredKeys)
        return keys.filter { key in Set(entries.map { $0.log.setting(key) ?? "-" }).count > 1 }.sorted()
    }

    static let shownMetrics = ["rmse", "abs_rel", "delta1"]

    public var header: [String] {
        ["run"] + differingKeys + ["epochs_done", "best_epoch"] + Self.shownMetrics.map { "val_\($0)" }
            + Self.shownMetrics.map { "test_\($0)" } + ["train_seconds", "samples_per_s"]
    }

    /// A table cell: text, a metric (full precision in CSV, four decimals on screen), or a
    /// measured quantity shown with `decimals` everywhere.
    public enum Cell: Equatable {
        case text(String)
        case metric(Double?)
        case quantity(Double?, decimals: Int)

        public var exact: String {
            switch self {
            case let .text(s): return s
            case let .metric(v): return v.map { "\($0)" } ?? ""
            case let .quantity(v, d): return v.map { String(format: "%.\(d)f", $0) } ?? ""
            }
        }

        public var shown: String {
            if case let .metric(v) = self { return v.map { String(format: "%.4f", $0) } ?? "" }
            return exact
        }
    }

    /// One row per run.
    public var rows: [[Cell]] {
        let keys = differingKeys
        return entries.map { e in
            let best = e.log.bestEpoch(by: metric)
            let total = e.log.setting("epochs").map { "/\($0)" } ?? ""
            var row: [Cell] = [.text(e.label)] + keys.map { .text(e.log.setting($0) ?? "-") }
            row += [.text("\(e.log.records.last?.epoch ?? 0)\(total)"), .text(best.map { "\($0.epoch)" } ?? "")]
            row += Self.shownMetrics.map { m in .metric(best?.metrics?[m]) }
            row += Self.shownMetrics.map { m in .metric(e.test?.metrics[m]) }
            row += [.quantity(e.log.trainingSeconds, decimals: 1), .quantity(e.log.samplesPerSecond, decimals: 1)]
            return row
        }
    }

    /// The printed table: metrics to four decimals, columns aligned.
    public func table() -> String {
        let all = [header] + rows.map { $0.map(\.shown) }
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        var lines = all.map { row in row.enumerated().map { c, cell in c == 0 ? cell.rightPadded(widths[c]) : cell.leftPadded(widths[c]) }.joined(separator: "  ") }
        if let winner = bestRun() {
            lines.append("")
            lines.append("best validation \(metric.rawValue): \(winner.label) (\(String(format: "%.4f", winner.figure)) at epoch \(winner.epoch))")
        }
        return lines.joined(separator: "\n")
    }

    /// The run whose best epoch has the best `metric`.
    public func bestRun() -> (label: String, figure: Double, epoch: Int)? {
        var out: (label: String, figure: Double, epoch: Int)?
        for e in entries {
            guard let best = e.log.bestEpoch(by: metric), let figure = metric.figure(of: best) else { continue }
            if let o = out, !metric.isBetter(figure, than: o.figure) { continue }
            out = (e.label, figure, best.epoch)
        }
        return out
    }

    public func csv() -> String {
        ([header] + rows.map { $0.map(\.exact) }).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    public func markdown() -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var lines = ["| " + header.map(cell).joined(separator: " | ") + " |",
                     "|" + header.indices.map { $0 == 0 ? "---|" : "---:|" }.joined()]
        lines += rows.map { "| " + $0.map { cell($0.shown) }.joined(separator: " | ") + " |" }
        if let winner = bestRun() {
            lines += ["", "Best validation \(metric.rawValue): **\(winner.label)** (\(String(format: "%.4f", winner.figure)) at epoch \(winner.epoch)); each run's best epoch is picked by validation \(metric.rawValue)."]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The pictures: losses, validation metrics per epoch, and (when any run was evaluated)
    /// the test split's rmse per ground-truth depth bin.
    public func charts() -> [(name: String, chart: LineChart)] {
        let legend = entries.map(\.label)
        func curve(_ value: (EpochRecord) -> Double?) -> [[(x: Double, y: Double)]] {
            entries.map { e in e.log.records.compactMap { r in value(r).map { (Double(r.epoch), $0) } } }
        }
        func panel(_ title: String, _ y: String, _ value: @escaping (EpochRecord) -> Double?) -> LineChart.Panel {
            LineChart.Panel(title: title, xLabel: "epoch", yLabel: y, series: curve(value), integerX: true)
        }
        var out: [(String, LineChart)] = [
            ("loss.png", LineChart(panels: [panel("train loss", "loss", { $0.trainLoss }),
                                           panel("validation loss", "loss", { $0.valLoss })], legend: legend)),
            ("validation_metrics.png", LineChart(panels: [panel("validation rmse", "rmse (m)", { $0.metrics?["rmse"] }),
                                                         panel("validation abs_rel", "abs_rel", { $0.metrics?["abs_rel"] }),
                                                         panel("validation delta1", "delta1 (fraction)", { $0.metrics?["delta1"] })],
                                                legend: legend)),
        ]
        if entries.contains(where: { $0.test != nil }) {
            let series = entries.map { e in
                (e.test?.depthBins ?? []).compactMap { b in b.rmse.map { ((b.lower + b.upper) / 2, $0) } }
            }
            out.append(("depth_binned_rmse.png", LineChart(panels: [
                LineChart.Panel(title: "test rmse per depth bin", xLabel: "ground-truth depth (m)",
                                yLabel: "rmse (m)", series: series, integerX: false),
            ], legend: legend, panelWidth: 660)))
        }
        return out
    }

    /// Writes runs.csv, runs.md and the charts into `directory`; returns the files.
    public func write(to directory: URL) throws -> [URL] {
        var files = [directory.appendingPathComponent("runs.csv"), directory.appendingPathComponent("runs.md")]
        try writeFile(Data(csv().utf8), to: files[0])
        try writeFile(Data(markdown().utf8), to: files[1])
        for (name, chart) in charts() {
            let url = directory.appendingPathComponent(name)
            try chart.render().write(to: url)
            files.append(url)
        }
        return files
    }
}
