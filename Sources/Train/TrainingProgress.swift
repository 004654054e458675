import Foundation
import Support

/// Where a run stands inside an epoch, for the progress line `train` draws on a terminal.
public struct TrainingProgress: Sendable, Equatable {
    public var epoch: Int
    public var epochs: Int
    /// Batches done in this epoch, of `batches`.
    public var batch: Int
    public var batches: Int
    public var samples: Int
    /// Seconds since the epoch began.
    public var seconds: Double
    /// Mean training loss of this epoch's batches so far.
    public var meanLoss: Double
    /// Mean wall time of the epochs this process finished (validation included), when any.
    public var secondsPerEpoch: Double?

    public init(epoch: Int, epochs: Int, batch: Int, batches: Int, samples: Int, seconds: Double, meanLoss: Double,
                secondsPerEpoch: Double?) {
        self.epoch = epoch
        self.epochs = epochs
        self.batch = batch
        self.batches = batches
        self.samples = samples
        self.seconds = seconds
        self.meanLoss = meanLoss
        self.secondsPerEpoch = secondsPerEpoch
    }

    public var samplesPerSecond: Double { Double(samples) / max(seconds, 1e-9) }

    /// Seconds left in this epoch's training pass, at this epoch's pace.
    public var epochRemaining: Double {
        batch > 0 ? seconds / Double(batch) * Double(max(0, batches - batch)) : .nan
    }

    /// Seconds left in the run: this epoch's rest, then the remaining epochs at the pace of
    /// the finished ones (this one's projected length before any finished).
    public var runRemaining: Double {
        let perEpoch = secondsPerEpoch ?? (seconds + epochRemaining)
        return epochRemaining + perEpoch * Double(max(0, epochs - epoch))
    }

    /// `epoch 3/10  batch 12/40  412 samples/s  loss 0.2345  ETA epoch 0:07  run 1:02`
    public var line: String {
        let width = String(batches).count
        let b = String(batch).leftPadded(width)
        return String(format: "epoch %d/%d  batch %@/%d  %.0f samples/s  loss %.4f  ETA epoch %@  run %@",
                      epoch, epochs, b, batches, samplesPerSecond, meanLoss,
                      Self.clock(epochRemaining), Self.clock(runRemaining))
    }

    /// 7 -> "0:07", 3725 -> "1:02:05"; "?" before there is a pace to go by.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
