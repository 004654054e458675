import Foundation
import Model
import Support

/// What a training run holds at its peak, worked out before anything is allocated: the
/// U-Net's parameters with their gradients and Adam moments, its activations and column
/// scratch (`UNetConfig.trainingBytes`), the batches in flight (the training stream reads
/// two ahead of the one in use; validation the same), and the process itself. Checkpoints
/// are written from the model's and optimiser's own buffers (`SafeTensors.write`), so
/// saving adds nothing. Measured against peak RSS over several configs by
/// `TrainingRunTests.theMemoryEstimateCoversWhatTrainingHolds` (docs/reliability.md).
public enum TrainingMemory {
    /// The process besides the model and the data: code, libraries, HDF5, thread stacks and
    /// the GEMM libraries' packing buffers (37-67 MB measured over training on 2 cores).
    public static let processBytes = 96.0 * 1_048_576
    /// Room for allocator slack on the model's buffers (peak RSS ran up to 1.08 x them).
    public static let modelMargin = 1.1

    /// Bytes of a training run on `batch` images of `size` x `size`, `sampleFloats` floats
    /// of audio and depth per cached sample.
    public static func estimate(model: UNetConfig, batch: Int, size: Int, sampleFloats: Int) -> Double {
        model.trainingBytes(batch: batch, size: size) * modelMargin + 6 * Double(batch) * Double(sampleFloats) * 4 + processBytes
    }

    /// Refuses a run that cannot fit in `available` bytes (default: the machine's memory),
    /// naming the batch asked for, what it needs and the largest batch that fits. A batch
    /// larger than the training split holds the split (`trainSamples`).
    public static func check(model: UNetConfig, batch asked: Int, trainSamples: Int, size: Int, sampleFloats: Int,
                             available: Double = Double(ProcessInfo.processInfo.physicalMemory)) throws {
        let batch = max(1, min(asked, trainSamples))
        let need = estimate(model: model, batch: batch, size: size, sampleFloats: sampleFloats)
        guard need > available else { return }
        var lo = 0, hi = batch
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if estimate(model: model, batch: mid, size: size, sampleFloats: sampleFloats) <= available { lo = mid } else { hi = mid - 1 }
        }
        let parameters = Double(model.parameterCount) * 16
        let held = batch < asked ? " (a step holds the training split's \(trainSamples) samples)" : ""
        let hint = lo >= 1 ? "lower --batch_size to at most \(lo)" : "even one image does not fit: lower --ngf, --num_downs or --images_size"
        throw ModelError.config(String(format: "training a %d-level ngf-%d U-Net on batch %d%@ at %dx%d needs about %.1f GB (parameters, gradients and Adam moments %.1f GB; activations and data %.1f GB), this machine has %.1f GB: %@",
                                       model.numDowns, model.ngf, asked, held, size, size, need / 1e9, parameters / 1e9,
                                       (need - parameters) / 1e9, available / 1e9, hint))
    }
}
