import ArgumentParser
import Cache
import Foundation
import Ingest

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shards of a sharded featurize into one cache.",
        discussion: """
        Checks that all N shards in <key folder>/shards/ are there, finished and of one manifest and feature config, then writes <key folder>/features.h5: HDF5 virtual datasets over the shards (instant; the shards must stay beside it), or with --copy one self-contained file. train, eval, validate, bench and plain h5py read it like any cache.
        """)

    @Option(name: .customLong("cache"), help: "The cache's key folder (<cache_dir>/<dataset>/<key>; `featurize ... --print_cache_dir` prints it).")
    var cache: String

    @Flag(name: .customLong("copy"), help: "Copy the shards' data into one self-contained file instead of mapping it.")
    var copy = false

    func run() throws {
        let s = try CacheMerge.merge(directory: URL(fileURLWithPath: cache), copy: copy)
        let splits = Split.allCases.map { "\($0.rawValue) \(s.perSplit[$0] ?? 0)" }.joined(separator: ", ")
        if s.reused {
            print("merge: \(s.path.path) is already merged from these \(s.shards) shards (\(splits))")
        } else {
            print("merge: \(s.shards) shards -> \(s.path.path) (\(s.copied ? "copied" : "virtual datasets over shards/"); \(splits); \(String(format: "%.1f", s.seconds)) s)")
        }
    }
}
