import ArgumentParser
import CMalloc
import Foundation
import Support

public struct Batvision: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "batvision",
        abstract: "Echo-to-depth research on the Batvision datasets: ingest, featurize, train, evaluate.",
        discussion: """
        A typical session on a synthetic dataset:
          batvision synth --dataset batvisionv2 --out data/synth-v2 --samples 200
          batvision ingest --dataset batvisionv2 --dataset_dir data/synth-v2
          batvision validate --manifest data-manifests/batvisionv2-synth-v2.json
          batvision featurize --dataset batvisionv2
          batvision train --dataset batvisionv2 --num_downs 6 --ngf 16 --images_size 64 --epochs 10

        Exit status: 0 success, 1 findings (problems, changed files), 2 an error that stopped the command (the message names the file or setting), 64 a usage error.
        """,
        subcommands: [SynthCommand.self, IngestCommand.self, SettingsCommand.self, StatsCommand.self, FeaturizeCommand.self, MergeCommand.self, TrainCommand.self, EvalCommand.self, ValidateCommand.self, BenchCommand.self, ExperimentsCommand.self, CompareCommand.self, SheetCommand.self, WandbSyncCommand.self])

    public init() {}

    /// Exit status: 0 success, 1 findings, 2 errors that stopped the command (bad data,
    /// bad conf files), 64 usage errors (bad flags).
    public static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)  // progress lines reach a log file as they happen
        signal(SIGPIPE, SIG_IGN)  // a W&B client that exits early is a write error, not our death
        do {
            var command = try parseAsRoot()
            if command is RunsTheModel { keepPackingBuffersMapped() }
            try command.run()
        } catch let error as SettingError where error.isUsageError {
            warn("error: \(error.description)")
            Foundation.exit(64)
        } catch let error as ReportableError {
            fail(error.description)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch let error as CocoaError {
            fail(plainReason(error))
        } catch {
            exit(withError: error)
        }
    }

    static func fail(_ message: String) -> Never {
        warn("error: \(message)")
        Foundation.exit(2)
    }
}

/// Commands that build the U-Net and run its products (train, eval, experiments, bench train/eval).
protocol RunsTheModel {}

extension TrainCommand: RunsTheModel {}
extension EvalCommand: RunsTheModel {}
extension ExperimentsRunCommand: RunsTheModel {}
extension BenchTrainCommand: RunsTheModel {}
extension BenchEvalCommand: RunsTheModel {}

/// oneDNN allocates and frees 4-11 MB of packing buffers in every product, on several
/// threads. With blocks of 1 MiB and more mapped fresh (this setting until 2026-12-07, to
/// hold peak RSS down) each was a new mapping to fault in: about 46,000 page faults a
/// unet_256 step, 5-6 % of its time on a 2-core AVX-512 EPYC (docs/benchmarks.md). Blocks
/// under 16 MiB now come from the heap, and up to 128 MiB free at its top is kept (glibc's
/// 128 KiB trim threshold would hand those pages back to be faulted in again); `UNetLevel`
/// holds fewer activations to pay for it. Only for the commands that run the model:
/// featurize and streaming reads keep glibc's defaults.
func keepPackingBuffersMapped() {
    #if os(Linux)
    mallopt(M_MMAP_THRESHOLD, 16 << 20)
    mallopt(M_TRIM_THRESHOLD, 128 << 20)
    #endif
}

/// Prints to stderr, control characters escaped: a message may quote a file's bytes.
func warn(_ message: String) {
    FileHandle.standardError.write(Data((escapingControls(message, keepingLines: true) + "\n").utf8))
}
