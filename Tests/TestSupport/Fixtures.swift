import Foundation
import Ingest

/// Files the tests read: copies of `../shared/goldens` and `../shared/real-samples` kept in
/// `Tests/Fixtures`, so a clean clone passes without `../shared`.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The repository's root (for `conf/`).
    public static var repository: URL { root.deletingLastPathComponent().deletingLastPathComponent() }

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static var realWAV: URL { url("real-samples/bv2/audio_47.wav") }
    public static var realDepth: URL { url("real-samples/bv2/depth_47.npy") }

    /// A golden .npy as float32 values and its shape.
    public static func npy(_ relative: String) throws -> (values: [Float], shape: [Int]) {
        let arr = try NPYArray(contentsOf: url(relative))
        return (arr.floats(), arr.shape)
    }

    /// The goldens' index.json. Python writes non-finite floats as bare `Infinity`/`NaN`,
    /// which JSON does not allow: they become the strings "inf", "-inf" and "nan".
    public static func index() throws -> [String: Any] {
        var text = String(decoding: try Data(contentsOf: url("goldens/index.json")), as: UTF8.self)
        text = text.replacingOccurrences(of: "-Infinity", with: "\"-inf\"")
            .replacingOccurrences(of: "Infinity", with: "\"inf\"")
            .replacingOccurrences(of: "NaN", with: "\"nan\"")
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// A number of the index that may be one of the non-finite strings above.
    public static func number(_ value: Any?) -> Double? {
        switch value {
        case let s as String: return s == "inf" ? .infinity : (s == "-inf" ? -.infinity : (s == "nan" ? .nan : Double(s)))
        case let n as NSNumber: return n.doubleValue
        default: return nil
        }
    }
}

/// A fresh temporary folder, removed by `cleanup()`.
public struct TemporaryFolder {
    public let url: URL

    public init(_ label: String = "bv") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ rel: String) -> URL { url.appendingPathComponent(rel) }

    public func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Largest |a - b| divided by max |b| (SPEC's "relative to the array's max magnitude").
public func maxRelativeError(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count, !b.isEmpty else { return .infinity }
    var worst = 0.0
    var scale = 0.0
    for (x, y) in zip(a, b) {
        worst = max(worst, abs(Double(x) - Double(y)))
        scale = max(scale, abs(Double(y)))
    }
    return scale > 0 ? worst / scale : worst
}

/// Largest |a - b|.
public func maxAbsoluteError(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
}

/// Runs a program to completion, stdout and stderr captured together. After `timeout`
/// seconds it is killed and the status is `timedOut` (a hang is a failure, not a stuck suite).
public func runProcess(_ executable: URL, _ args: [String], in directory: URL? = nil,
                       timeout: Double = 600, environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    if let directory { p.currentDirectoryURL = directory }
    if let environment { p.environment = environment }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let killer = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    killer.cancel()
    if p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL { return (timedOut, text) }
    return (p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus, text)
}

/// The status `runProcess` reports for a program it had to kill.
public let timedOut: Int32 = -1

struct MissingExecutable: Error, CustomStringConvertible {
    var description: String { "batvision executable not found (build it with `swift build --build-tests`)" }
}

/// The built `batvision` executable beside the test bundle.
public func batvisionExecutable() throws -> URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("batvision")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = Fixtures.repository.appendingPathComponent(".build/debug/batvision")
    guard FileManager.default.isExecutableFile(atPath: fallback.path) else { throw MissingExecutable() }
    return fallback
}

/// A small synthetic dataset, ingested: its folder, root and manifest (`manifest.json`).
public struct SmallDataset {
    public let dir: TemporaryFolder
    public let manifest: Manifest
    public let root: DatasetRoot

    public init(samples: Int = 14, kind: DatasetKind = .batvisionv2) throws {
        dir = try TemporaryFolder("cache")
        var synth = SyntheticDataset(kind: kind, seed: 11, samples: samples, depthHeight: 36, depthWidth: 64)
        synth.samplesPerRoom = 3
        synth.showProgress = false
        try synth.write(to: dir.file("data"))
        root = try DatasetRoot(dir.file("data"))
        manifest = try Ingestor(kind: kind, root: root, showProgress: false).run()
        try manifest.write(to: dir.file("manifest.json"))
    }
}
