import Foundation

/// The instruction-set flags of the CPU this process runs on (`flags` of /proc/cpuinfo),
/// read at run time: the build machine's CPU says nothing about the one a binary runs on.
public struct CPUFeatures: Sendable, Equatable {
    public let flags: Set<String>

    public init(flags: Set<String>) { self.flags = flags }

    /// Parses the first `flags` line of a /proc/cpuinfo text (all cores report the same).
    public init(cpuinfo: String) {
        let line = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }
        let list = line?.split(separator: ":", maxSplits: 1).last ?? ""
        flags = Set(list.split(separator: " ").map(String.init))
    }

    /// This machine's (empty where there is no /proc/cpuinfo).
    public static let current = CPUFeatures(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")

    public var hasAVX512F: Bool { flags.contains("avx512f") }
    public var hasAVX2FMA: Bool { flags.contains("avx2") && flags.contains("fma") }
}
