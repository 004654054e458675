import ArgumentParser
import Eval
import Foundation

/// Which checkpoint `eval` reads.
struct CheckpointOptions: ParsableArguments {
    @Option(name: .setting(\.checkpoints), help: .setting(\.checkpoints, for: .eval))
    var checkpoints: Nullable<Int>?
    @Flag(name: .customLong("best"), help: "Evaluate the run's best_model.safetensors.")
    var best = false
    @Option(name: .customLong("checkpoint"), help: "Evaluate this checkpoint file instead (ours, or one converted from PyTorch by scripts/convert_pth.py).")
    var checkpoint: String?

    func choice(_ r: inout SettingsResolver) throws -> CheckpointChoice {
        if let checkpoint { return .file(URL(fileURLWithPath: checkpoint)) }
        if best { return .best }
        guard let epoch = try r.optional(\.checkpoints, flag: checkpoints) else { return .latest }
        return .epoch(epoch)
    }
}
