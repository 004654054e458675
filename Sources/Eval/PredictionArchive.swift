import Cache
import Foundation
import Ingest
import Model
import Support

/// `eval --save_predictions`: every evaluated sample's ground truth and prediction in
/// metres (the cached S x S maps the model sees), its id and split, and its per-sample
/// metrics under the evaluation protocol, in one HDF5 file a paper figure can be drawn
/// from (as the baseline's test.py pickles its maps). Written row by row as `eval` goes:
///
///     /gt, /pred        [N, 1, S, S] float32, metres (0 in gt: no measurement)
///     /sample, /split   [N] ids and split names, in evaluation order
///     /metrics/<name>   [N] float64: abs_rel, rmse, delta1-3, log10, mae (as the CSV)
///     attributes        checkpoint, epoch, protocol (JSON), feature_config, complete = 1
public final class PredictionArchive {
    public let url: URL
    private let file: HDF5File
    private let gt: HDF5Dataset, pred: HDF5Dataset, samples: HDF5Dataset, splits: HDF5Dataset
    private let metrics: [HDF5Dataset]
    private var next = 0
    private let count: Int

    public init(url: URL, count: Int, side: Int, idWidth: Int, checkpoint: String, epoch: Int?,
                evaluationProtocol: EvaluationProtocol, features: FeatureConfig) throws {
        self.url = url
        self.count = count
        try createDirectory(url.deletingLastPathComponent())
        let file = try HDF5File(path: url.path, mode: .create)
        self.file = file
        gt = try file.createFloatDataset("/gt", shape: [count, 1, side, side])
        pred = try file.createFloatDataset("/pred", shape: [count, 1, side, side])
        samples = try file.createStringDataset("/sample", count: count, maxLength: idWidth)
        splits = try file.createStringDataset("/split", count: count, maxLength: 5)
        try file.createGroup("/metrics")
        metrics = try DepthMetrics.names.map { try file.createDoubleDataset("/metrics/\($0)", count: count) }
        try file.setAttribute("checkpoint", checkpoint)
        try file.setAttribute("epoch", epoch ?? -1)
        try file.setAttribute("protocol", String(decoding: try JSONCoding.encoder().encode(evaluationProtocol), as: UTF8.self))
        try file.setAttribute(FeatureCacheSchema.featureConfigAttribute, features.canonicalJSON)
        try file.setAttribute("units", "metres")
    }

    /// The next sample: its maps in metres (`side * side` each) and its metrics.
    func add(id: String, split: Split, gt g: [Float], pred p: [Float], metrics m: DepthMetrics) throws {
        guard next < count else { throw EvalError.config("\(url.path): more samples than the \(count) announced") }
        try g.withUnsafeBufferPointer { try gt.writeRows(next, count: 1, $0) }
        try p.withUnsafeBufferPointer { try pred.writeRows(next, count: 1, $0) }
        try samples.writeStrings([id], start: next)
        try splits.writeStrings([split.rawValue], start: next)
        for (dataset, value) in zip(metrics, m.values) { try dataset.writeDoubles([value], start: next) }
        next += 1
    }

    /// Marks the file complete (a reader checks `complete = 1`) and closes it.
    func finish() throws {
        try file.setAttribute("complete", next == count ? 1 : 0)
        for d in [gt, pred, samples, splits] + metrics { d.close() }
        file.close()
    }
}
