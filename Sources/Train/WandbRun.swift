import Foundation
import Support

/// A run logged to Weights & Biases through its official Python client: a `python3` child
/// process running `WandbBridge.script`, fed one JSON line per event. When the client is
/// missing or stops, training goes on and `batvision wandb-sync` can upload the logs later.
public final class WandbRun {
    /// What `wandb.init` gets.
    public struct Start: Sendable {
        public var project: String
        public var entity: String?
        public var mode: WandbMode
        /// The W&B run's display name (our run name) and its id (kept across resumes).
        public var name: String
        public var id: String
        /// Where the client keeps its files (`<dir>/wandb/`) unless WANDB_DIR says otherwise.
        public var directory: URL
        public var config: [String: String]
        public var jobType = "train"

        public init(project: String, entity: String?, mode: WandbMode, name: String, id: String, directory: URL,
                    config: [String: String]) {
            self.project = project
            self.entity = entity
            self.mode = mode
            self.name = name
            self.id = id
            self.directory = directory
            self.config = config
        }
    }

    public static let installHint = "pip install wandb pillow"

    private let process: Process
    private let input: FileHandle
    private let warn: (String) -> Void
    private var stopped = false

    /// Whether `python3` on PATH can import the client (nil), else why not.
    public static func clientProblem() -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import wandb"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return "python3 could not be started (\(plainReason(error)))" }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? nil : "the W&B client is not installed for python3 (\(installHint))"
    }

    /// Starts the client; `warn` gets one line if it stops early.
    public init(_ start: Start, warn: @escaping (String) -> Void) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", WandbBridge.script]
        let pipe = Pipe()
        process.standardInput = pipe
        input = pipe.fileHandleForWriting
        self.warn = warn
        do { try process.run() } catch {
            throw FileError.unreadable(path: "python3", reason: "cannot start the W&B client: \(plainReason(error))")
        }
        let config = Dictionary(uniqueKeysWithValues: start.config.map { ($0.key, Self.jsonValue($0.value)) })
        var initMessage: [String: Any] = ["project": start.project, "name": start.name, "id": start.id, "mode": start.mode.rawValue,
                                          "dir": start.directory.path, "config": config, "job_type": start.jobType]
        if let entity = start.entity { initMessage["entity"] = entity }
        send(["init": initMessage])
    }

    /// One epoch: its metrics under `step` = epoch, and the prediction picture if drawn.
    public func log(_ record: EpochRecord, picture: URL?) {
        var message: [String: Any] = ["step": record.epoch, "metrics": record.wandbMetrics]
        if let picture, FileManager.default.fileExists(atPath: picture.path) { message["image"] = picture.path }
        send(["log": message])
    }

    /// Values for the run's summary (the best epoch's metrics).
    public func summary(_ values: [String: Double]) {
        send(["summary": values.filter { $0.value.isFinite }])
    }

    /// Ends the run (the client uploads what is left in online mode); returns whether it finished cleanly.
    @discardableResult
    public func finish() -> Bool {
        try? input.close()
        process.waitUntilExit()
        return process.terminationStatus == 0 && !stopped
    }

    private func send(_ message: [String: Any]) {
        guard !stopped else { return }
        guard process.isRunning, let data = try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]) else {
            stopped = true
            warn("W&B: the client stopped (see its messages above); training goes on, and `batvision wandb-sync` uploads the logs later")
            return
        }
        do { try input.write(contentsOf: data + Data("\n".utf8)) } catch {
            stopped = true
            warn("W&B: the client stopped (\(plainReason(error))); training goes on, and `batvision wandb-sync` uploads the logs later")
        }
    }

    /// A setting's text as W&B's config shows it best: numbers and booleans as such.
    static func jsonValue(_ text: String) -> Any {
        if text == "true" { return true }
        if text == "false" { return false }
        if text == "null" { return NSNull() }
        if let i = Int(text) { return i }
        if let d = Double(text), d.isFinite { return d }
        return text
    }

    /// A new W&B run id: 8 characters of [a-z0-9], as W&B makes them.
    public static func newID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}

extension EpochRecord {
    /// The epoch's figures under W&B keys: train/loss, val/loss, val/<metric>, ...
    public var wandbMetrics: [String: Double] {
        var out: [String: Double] = ["epoch": Double(epoch), "train/loss": trainLoss, "train/seconds": seconds,
                                     "train/samples_per_s": samplesPerSecond]
        if let d = dataSeconds { out["train/data_wait_seconds"] = d }
        if let f = dataWaitFraction { out["train/data_wait_fraction"] = f }
        if let valLoss { out["val/loss"] = valLoss }
        for (k, v) in metrics ?? [:] { out["val/\(k)"] = v }
        return out.filter { $0.value.isFinite }
    }
}

extension RunLog {
    /// The summary W&B shows for the run: the best validated epoch by `metric` and its figures.
    public func wandbSummary(by metric: BestMetric) -> [String: Double] {
        guard let best = bestEpoch(by: metric) else { return [:] }
        var out: [String: Double] = ["best/epoch": Double(best.epoch)]
        if let v = best.valLoss { out["best/loss"] = v }
        for (k, v) in best.metrics ?? [:] { out["best/\(k)"] = v }
        return out
    }
}
