import Foundation
import Model
import Pictures
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
    /// Test summaries not shown because the run was trained again after them (a summary
    /// whose checkpoint is gone or newer than it), one line each.
    public private(set) var ignoredTests: [String] = []

    /// Settings that differ between runs by construction or say nothing about the result.
    static let ignoredKeys: Set<String> = ["experiment_name", "checkpoints", "threads", "output_dir", "use_wandb", "wandb_project",
                                           "wandb_entity", "wandb_mode", "prediction_samples", "manifest", "cache_dir", "dataset_dir"]

    /// `logs`' runs, each with its test evaluation from `<statDir>/<run>/` (the best model's
    /// if evaluated, else the latest epoch's).
    public init(logs: [RunLog], statDir: URL?, metric: BestMetric) throws {
        self.metric = metric
        var names: [String: Int] = [:]
        for log in logs { names[log.setting("experiment_name") ?? log.runName, default: 0] += 1 }
        var ignored: [String] = []
        entries = try logs.map { log in
            let short = log.setting("experiment_name") ?? log.runName
            var test: EvaluationSummary?
            if let statDir {
                let (found, stale) = try Self.testSummary(of: log.runName, in: statDir)
                test = found
                ignored += stale
            }
            return Entry(log: log, label: names[short] == 1 ? short : log.runName, test: test)
        }
        ignoredTests = ignored
    }

    /// The run's test evaluation in `<statDir>/<run>/`: the best model's if evaluated, else
    /// the latest epoch's, among the summaries of the run as it is now: a summary whose
    /// checkpoint is gone, or was written after it (`train --overwrite` trained the run
    /// again), describes an earlier training and is listed in `stale` instead.
    static func testSummary(of run: String, in statDir: URL) throws -> (summary: EvaluationSummary?, stale: [String]) {
        let folder = statDir.appendingPathComponent(EvaluationRun.folderName(run))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let candidates = (names.contains("best_test_summary.json") ? ["best_test_summary.json"] : [])
            + names.filter { $0.hasPrefix("epoch_") && $0.hasSuffix("_test_summary.json") }.sorted().reversed()
        var stale: [String] = []
        for name in candidates {
            let url = folder.appendingPathComponent(name)
            let summary: EvaluationSummary
            do { summary = try JSONCoding.decoder().decode(EvaluationSummary.self, from: try readFile(url, limit: 64 << 20)) } catch {
                throw FileError.unreadable(path: url.path, reason: "not an eval summary: \(clipped(plainReason(error), limit: 160))")
            }
            if let reason = staleness(of: summary, at: url) {
                stale.append("\(url.path): \(reason)")
                continue
            }
            return (summary, stale)
        }
        return (nil, stale)
    }

    /// Why a summary no longer describes its run (nil when it does): its checkpoint is gone
    /// or was rewritten after the summary.
    static func staleness(of summary: EvaluationSummary, at url: URL) -> String? {
        let fm = FileManager.default
        guard let written = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date else { return nil }
        guard let checkpoint = (try? fm.attributesOfItem(atPath: summary.checkpoint))?[.modificationDate] as? Date else {
            return "its checkpoint \(summary.checkpoint) is gone (the run was trained again)"
        }
        return checkpoint > written ? "its checkpoint \(summary.checkpoint) was written after it (the run was trained again)" : nil
    }

    /// The settings whose values are not the same in every run, in name order.
    public var differingKeys: [String] {
        let keys = Set(entries.flatMap { $0.log.settings.keys }).subtracting(Self.ignoredKeys)
        return keys.filter { key in Set(entries.map { $0.log.setting(key) ?? "-" }).count > 1 }.sorted()
    }

    static let shownMetrics = ["rmse", "abs_rel", "delta1"]

    public var header: [String] {
        ["run"] + differingKeys + ["epochs_done", "best_epoch"] + Self.shownMetrics.map { "val_\($0)" } + ["beats_constant"]
            + Self.shownMetrics.map { "test_\($0)" } + ["train_seconds", "samples_per_s"]
    }

    /// A table cell: text, a metric (full precision in CSV, four decimals on screen), or a
    /// measured quantity shown with `decimals` everywhere.
    public enum Cell: Equatable {
        case text(String)
        case metric(Double?)
        case quantity(Double?, decimals: Int)
        /// The mean and standard deviation of a metric over the seeds of a run.
        case spread(mean: Double, std: Double)

        public var exact: String {
            switch self {
            case let .text(s): return s
            case let .metric(v): return v.map { "\($0)" } ?? ""
            case let .quantity(v, d): return v.map { String(format: "%.\(d)f", $0) } ?? ""
            case let .spread(m, s): return "\(m) ± \(s)"
            }
        }

        public var shown: String {
            if case let .metric(v) = self { return v.map { String(format: "%.4f", $0) } ?? "" }
            if case let .spread(m, s) = self { return String(format: "%.4f ± %.4f", m, s) }
            return exact
        }
    }

    /// Whether the run's best epoch beats its constant predictor on validation `metric`
    /// (nil when the run recorded no constant predictor or no validation).
    public func beatsConstant(_ e: Entry) -> Bool? {
        guard metric != .loss, let best = e.log.bestEpoch(by: metric), let figure = metric.figure(of: best),
              let constant = e.log.constantPredictor?.metrics[metric.rawValue] else { return nil }
        return metric.isBetter(figure, than: constant)
    }

    /// The constant predictor's rows: one per distinct validation figures among the runs
    /// (one row when they share their data), with the test figures where evaluated.
    public var constantRows: [[Cell]] {
        var seen: [[String: Double]] = []
        var out: [[Cell]] = []
        let keys = differingKeys
        for e in entries {
            guard let constant = e.log.constantPredictor, !seen.contains(constant.metrics) else { continue }
            seen.append(constant.metrics)
            let test = entries.first { $0.log.constantPredictor?.metrics == constant.metrics && $0.test != nil }?.test
            var row: [Cell] = [.text("constant predictor")] + keys.map { _ in .text("-") } + [.text("-"), .text("-")]
            row += Self.shownMetrics.map { .metric(constant.metrics[$0]) } + [.text("-")]
            row += Self.shownMetrics.map { .metric(test?.constantPredictor[$0]) }
            row += [.text("-"), .text("-")]
            out.append(row)
        }
        return out
    }

    /// Runs that differ only in their seed, with two seeds or more: (label, runs).
    public var seedGroups: [(label: String, entries: [Entry])] {
        var groups: [String: [Entry]] = [:], order: [String] = []
        for e in entries {
            let key = e.log.settings.filter { !Self.ignoredKeys.contains($0.key) && $0.key != "seed" }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "|")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(e)
        }
        return order.compactMap { key in
            let runs = groups[key] ?? []
            guard Set(runs.map { $0.log.setting("seed") ?? "0" }).count > 1 else { return nil }
            let name = runs[0].log.setting("experiment_name") ?? runs[0].label
            return ("\(name) (\(runs.count) seeds)", runs)
        }
    }

    /// One row per seed group: each metric's mean ± standard deviation (n - 1) over its runs.
    public var seedRows: [[Cell]] {
        let keys = differingKeys
        return seedGroups.map { group in
            func spread(_ values: [Double?]) -> Cell {
                let v = values.compactMap { $0 }.filter(\.isFinite)
                guard v.count == values.count, v.count > 1 else { return .text("") }
                let mean = v.reduce(0, +) / Double(v.count)
                let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
                return .spread(mean: mean, std: std)
            }
            let bests = group.entries.map { $0.log.bestEpoch(by: metric) }
            var row: [Cell] = [.text(group.label)] + keys.map { key in
                let values = Set(group.entries.map { $0.log.setting(key) ?? "-" })
                return .text(values.count == 1 ? values.first ?? "-" : "*")
            }
            row += [.text("-"), .text("-")]
            row += Self.shownMetrics.map { m in spread(bests.map { $0?.metrics?[m] }) }
            row += [.text("\(group.entries.filter { beatsConstant($0) == true }.count)/\(group.entries.count)")]
            row += Self.shownMetrics.map { m in spread(group.entries.map { $0.test?.metrics[m] }) }
            row += [spread(group.entries.map { $0.log.trainingSeconds }), spread(group.entries.map { $0.log.samplesPerSecond })]
            return row
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
            row += [.text(beatsConstant(e).map { $0 ? "yes" : "NO" } ?? "")]
            row += Self.shownMetrics.map { m in .metric(e.test?.metrics[m]) }
            row += [.quantity(e.log.trainingSeconds, decimals: 1), .quantity(e.log.samplesPerSecond, decimals: 1)]
            return row
        }
    }

    /// Every row: the runs, the constant predictor, the seed groups' mean ± std.
    public var allRows: [[Cell]] { rows + constantRows + seedRows }

    /// The printed table (metrics to four decimals, columns aligned) and its conclusions.
    public func table() -> String {
        let all = [header] + allRows.map { $0.map(\.shown) }
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        var lines = all.map { row in row.enumerated().map { c, cell in c == 0 ? cell.rightPadded(widths[c]) : cell.leftPadded(widths[c]) }.joined(separator: "  ") }
        lines += [""] + conclusions()
        return lines.joined(separator: "\n")
    }

    /// What the table says, in words: the best run and whether it beats the constant
    /// predictor, the runs that do not, and the test results left out as stale.
    public func conclusions() -> [String] {
        var lines: [String] = []
        let beating = entries.filter { beatsConstant($0) == true }
        let losing = entries.filter { beatsConstant($0) == false }
        if !entries.isEmpty && beating.isEmpty && !losing.isEmpty {
            let c = entries.compactMap { $0.log.constantPredictor?.metrics[metric.rawValue] }.first
            lines.append("no run beats the constant predictor on validation \(metric.rawValue)\(c.map { String(format: " (%.4f)", $0) } ?? ""): no best run is named")
        } else if let winner = bestRun() {
            lines.append("best validation \(metric.rawValue): \(winner.label) (\(String(format: "%.4f", winner.figure)) at epoch \(winner.epoch))")
            if !losing.isEmpty {
                lines.append("not beating the constant predictor on validation \(metric.rawValue): " + losing.map(\.label).joined(separator: ", "))
            }
        }
        for note in ignoredTests { lines.append("test metrics of an earlier training ignored: \(note)") }
        return lines
    }

    /// The run whose best epoch has the best `metric`, among the runs that beat the constant
    /// predictor (all runs when none recorded it).
    public func bestRun() -> (label: String, figure: Double, epoch: Int)? {
        var out: (label: String, figure: Double, epoch: Int)?
        for e in entries where beatsConstant(e) != false {
            guard let best = e.log.bestEpoch(by: metric), let figure = metric.figure(of: best) else { continue }
            if let o = out, !metric.isBetter(figure, than: o.figure) { continue }
            out = (e.label, figure, best.epoch)
        }
        return out
    }

    public func csv() -> String {
        ([header] + allRows.map { $0.map(\.exact) }).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    public func markdown() -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var lines = ["| " + header.map(cell).joined(separator: " | ") + " |",
                     "|" + header.indices.map { $0 == 0 ? "---|" : "---:|" }.joined()]
        lines += allRows.map { "| " + $0.map { cell($0.shown) }.joined(separator: " | ") + " |" }
        lines += [""] + conclusions().map { "- " + $0 }
        lines += ["", "Each run's best epoch is picked by validation \(metric.rawValue); the constant predictor predicts the training split's mean depth per pixel (SPEC's baseline to beat)."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The pictures: losses, validation metrics per epoch, and (when any run was evaluated)
    /// the test split's rmse per ground-truth depth bin.
    public func charts() -> [(name: String, chart: LineChart)] {
        let legend = entries.map(\.label)
        // Losses of different criteria are not comparable: one sub-panel per criterion.
        let criteria = entries.map { $0.log.setting("criterion") }
        func curve(_ value: (EpochRecord) -> Double?) -> [[(x: Double, y: Double)]] {
            entries.map { e in e.log.records.compactMap { r in value(r).map { (Double(r.epoch), $0) } } }
        }
        /// The constant predictor's validation figure(s) of `metric`: one line per distinct value.
        func constant(_ metric: String) -> [LineChart.ReferenceLine] {
            Set(entries.compactMap { $0.log.constantPredictor?.metrics[metric] }).sorted()
                .map { LineChart.ReferenceLine(value: $0, label: "constant predictor") }
        }
        func panel(_ title: String, _ y: String, metric: String? = nil, byCriterion: Bool = false,
                   _ value: @escaping (EpochRecord) -> Double?) -> LineChart.Panel {
            LineChart.Panel(title: title, xLabel: "epoch", yLabel: y, series: curve(value), integerX: true,
                            references: metric.map(constant) ?? [], splitByGroup: byCriterion)
        }
        var out: [(String, LineChart)] = [
            ("loss.png", LineChart(panels: [panel("train loss", "loss", byCriterion: true, { $0.trainLoss }),
                                           panel("validation loss", "loss", byCriterion: true, { $0.valLoss })],
                                   legend: legend, groups: criteria)),
            ("validation_metrics.png", LineChart(panels: [panel("validation rmse", "rmse (m)", metric: "rmse", { $0.metrics?["rmse"] }),
                                                         panel("validation abs_rel", "abs_rel", metric: "abs_rel", { $0.metrics?["abs_rel"] }),
                                                         panel("validation delta1", "delta1 (fraction)", metric: "delta1", { $0.metrics?["delta1"] })],
                                                legend: legend)),
        ]
        if entries.contains(where: { $0.test != nil }) {
            let series = entries.map { e in
                (e.test?.depthBins ?? []).compactMap { b in b.rmse.map { ((b.lower + b.upper) / 2, $0) } }
            }
            // The constant predictor's per-bin rmse, from the first evaluated run (they share the test split).
            let constantSeries = entries.first { $0.test != nil }.map { e in
                (e.test?.constantDepthBins ?? []).compactMap { b in b.rmse.map { ((b.lower + b.upper) / 2, $0) } }
            } ?? []
            // How many ground-truth pixels each bin's rmse rests on (a sparse bin's figure is noise).
            // Runs evaluated on the same split hold the same counts: one line then (the first
            // evaluated run's colour), said in the title, not several drawn over each other.
            var pixels = entries.map { e in (e.test?.depthBins ?? []).map { b in ((b.lower + b.upper) / 2, Double(b.pixels)) } }
            let evaluated = pixels.filter { !$0.isEmpty }
            let shared = evaluated.count > 1 && evaluated.dropFirst().allSatisfy { $0.elementsEqual(evaluated[0], by: ==) }
            if shared, let first = pixels.firstIndex(where: { !$0.isEmpty }) {
                pixels = pixels.indices.map { $0 == first ? pixels[first] : [] }
            }
            out.append(("depth_binned_rmse.png", LineChart(panels: [
                LineChart.Panel(title: "test rmse per depth bin", xLabel: "ground-truth depth (m)",
                                yLabel: "rmse (m)", series: series + [constantSeries], integerX: false),
                LineChart.Panel(title: shared ? "test pixels per depth bin (every run)" : "test pixels per depth bin",
                                xLabel: "ground-truth depth (m)", yLabel: "pixels", series: pixels + [[]], integerX: false),
            ], legend: legend + ["constant predictor"], panelWidth: 330)))
        }
        return out
    }

    /// Writes runs.csv, runs.md and the charts into `directory`; returns the files.
    public func write(to directory: URL) throws -> [URL] {
        var files = [directory.appendingPathComponent("runs.csv"), directory.appendingPathComponent("runs.md")]
        try writeFile(Data(csv().utf8), to: files[0])
        try writeFile(Data(markdown().utf8), to: files[1])
        for (name, chart) in charts() { files += try chart.write(to: directory.appendingPathComponent(name)) }
        return files
    }
}
