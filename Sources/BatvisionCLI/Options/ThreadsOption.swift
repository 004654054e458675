import ArgumentParser
import Support

/// `--threads N`: how many threads a computing stage uses.
struct ThreadsOption: ParsableArguments {
    @Option(name: .setting(\.threads), help: .setting(\.threads))
    var threads: Int?

    func parallelism(_ r: inout SettingsResolver) throws -> Parallelism {
        let n = try r.optional(\.threads, flag: threads.map { Nullable.value($0) })
        return try r.checked { try Parallelism.threads(n) }
    }
}
